# Simulator tests (owned with sim/): tests/test_sim_*.c are globbed by
# tests/CMakeLists.txt and linked with um3n_testutil only; they also need the
# simulator's static library um3n_sim. Script tests (sim_*.sh) run um3n-sim.
set(UM3N_SIM_TRACES ${PROJECT_SOURCE_DIR}/traces)
file(GLOB UM3N_SIM_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_sim_*.c)
foreach(src ${UM3N_SIM_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(INIH_FOUND AND PCAP_FOUND)
    target_link_libraries(${name} PRIVATE um3n_sim)
    target_compile_definitions(${name} PRIVATE
      UM3N_SIM_TRACES="${UM3N_SIM_TRACES}"
      UM3N_SIM_SCENARIOS="${PROJECT_SOURCE_DIR}/traces/scenarios"
      UM3N_HOMETRIC_VECTORS="${CMAKE_CURRENT_SOURCE_DIR}/hometric_vectors.txt")
  else()
    # No inih/libpcap: the simulator is not built, so neither are its tests.
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    set_tests_properties(${name} PROPERTIES DISABLED ON)
  endif()
endforeach()

# Whole-program tests: run the um3n-sim binary.
if(INIH_FOUND AND PCAP_FOUND)
  foreach(script sim_determinism sim_bounds sim_errors sim_pcap sim_invariants)
    add_test(NAME ${script}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/${script}.sh $<TARGET_FILE:um3n-sim>
              ${PROJECT_SOURCE_DIR}/traces/scenarios)
    # exit 77 = skipped (e.g. the third-party traces are absent)
    set_tests_properties(${script} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
endif()

# Metrics in constant memory (issue 19): histogram vs exact percentiles on the
# shipped scenarios; 10 simulated minutes use no more memory than 1.
if(INIH_FOUND AND PCAP_FOUND AND EXISTS /usr/bin/python3)
  foreach(mode percentiles memory)
    add_test(NAME sim_streaming_${mode}
      COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/sim_streaming.py ${mode}
              $<TARGET_FILE:um3n-sim> ${PROJECT_SOURCE_DIR}/traces/scenarios)
  endforeach()
endif()

# The emulators' side of the handover figures (emu/lib/hometric.py through
# um3n-hometric) against the vectors test_sim_hometric reads (issue 14).
if(INIH_FOUND AND PCAP_FOUND AND EXISTS /usr/bin/python3)
  add_test(NAME hometric_py
    COMMAND /usr/bin/python3 -m emu.lib.hometric --selftest
            ${CMAKE_CURRENT_SOURCE_DIR}/hometric_vectors.txt --bin $<TARGET_FILE:um3n-hometric>
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(hometric_py PROPERTIES ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
endif()

# No object-file dependency cycle in the simulator's library (issue 10 §1).
if(INIH_FOUND AND PCAP_FOUND)
  add_test(NAME sim_no_cycles
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_cycles.sh $<TARGET_FILE:um3n_sim>)
endif()

# um3n-trace (sim/tracecvt.c): formats, figures, errors.
if(INIH_FOUND AND PCAP_FOUND)
  add_test(NAME sim_trace_tool
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/sim_trace_tool.sh $<TARGET_FILE:um3n-trace>
            $<TARGET_FILE:um3n-sim> ${PROJECT_SOURCE_DIR}/traces)
endif()

# The per-packet records of the plots (emu/lib/packets.py) against the metrics.
if(INIH_FOUND AND PCAP_FOUND)
  add_test(NAME sim_packets
    COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/sim_packets.py $<TARGET_FILE:um3n-sim>
            ${PROJECT_SOURCE_DIR}/traces/scenarios)
endif()

# The testbeds' payload-per-byte figure (emu/lib/analysis.payload_share),
# which bounds aggregation against MPTCP by headers alone (issue 11).
if(EXISTS /usr/bin/python3)
  add_test(NAME emu_payload COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/emu_payload.py)
  set_tests_properties(emu_payload PROPERTIES ENVIRONMENT PYTHONDONTWRITEBYTECODE=1)
endif()
