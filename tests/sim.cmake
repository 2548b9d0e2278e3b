# Simulator tests (owned with sim/): tests/test_sim_*.c are globbed by
# tests/CMakeLists.txt and linked with um3n_testutil only; they also need the
# simulator's static library um3n_sim. Script tests (sim_*.sh) run um3n-sim.
set(UM3N_SIM_TRACES ${PROJECT_SOURCE_DIR}/traces)
file(GLOB UM3N_SIM_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_sim_*.c)
foreach(src ${UM3N_SIM_TESTS})
  get_filename_component(name ${src} NAME_WE)
  set(ok INIH_FOUND AND PCAP_FOUND)
  if(name STREQUAL "test_sim_world" AND NOT (EXISTS ${PROJECT_SOURCE_DIR}/core/mn.c
     AND EXISTS ${PROJECT_SOURCE_DIR}/core/ha.c))
    set(ok OFF) # sim/world*.c is only built once core/ has the engines
  endif()
  if(${ok})
    target_link_libraries(${name} PRIVATE um3n_sim)
    target_compile_definitions(${name} PRIVATE
      UM3N_SIM_TRACES="${UM3N_SIM_TRACES}"
      UM3N_SIM_SCENARIOS="${PROJECT_SOURCE_DIR}/traces/scenarios")
  else()
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    set_tests_properties(${name} PROPERTIES DISABLED ON)
  endif()
endforeach()

# Whole-program tests: need the um3n-sim binary (built when core/ has the engines).
if(INIH_FOUND AND PCAP_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/core/mn.c
   AND EXISTS ${PROJECT_SOURCE_DIR}/core/ha.c)
  foreach(script sim_determinism sim_bounds sim_errors sim_pcap)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${script}.sh)
      add_test(NAME ${script}
        COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${script}.sh $<TARGET_FILE:um3n-sim>
                ${PROJECT_SOURCE_DIR}/traces/scenarios)
      # exit 77 = skipped (e.g. the third-party traces are absent)
      set_tests_properties(${script} PROPERTIES SKIP_RETURN_CODE 77)
    endif()
  endforeach()
endif()
