# Daemon platform-layer tests (owned with daemons/): tests/test_daemon_*.c are
# globbed by tests/CMakeLists.txt and linked with um3n_testutil only; they also
# need the daemons' static library um3nd (config parsing, formatting, keys).
find_package(Threads REQUIRED) # test_daemon_loop writes from a second thread
file(GLOB UM3N_DAEMON_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_daemon_*.c)
foreach(src ${UM3N_DAEMON_TESTS})
  get_filename_component(name ${src} NAME_WE)
  if(MNL_FOUND AND INIH_FOUND)
    target_link_libraries(${name} PRIVATE um3nd Threads::Threads)
    target_compile_definitions(${name} PRIVATE
      UM3N_DAEMON_EXAMPLES="${PROJECT_SOURCE_DIR}/daemons/examples")
  else()
    # No libmnl/inih: the daemons are not built, so neither are their tests.
    set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    set_tests_properties(${name} PROPERTIES DISABLED ON)
  endif()
endforeach()

# emu/netns.sh (root, real daemons in namespaces) is run by ci/test.sh, not ctest.

# -n as a user (nobody, through setpriv): a key only root may read is noted,
# real problems still fail. Skipped (77) when ctest does not run as root.
if(MNL_FOUND AND INIH_FOUND)
  add_test(NAME daemon_check_nonroot
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/daemon_check.sh
            $<TARGET_FILE_DIR:um3n-mn> ${PROJECT_SOURCE_DIR}/daemons/examples)
  set_tests_properties(daemon_check_nonroot PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
  # cmake --install into a scratch prefix: the units run the installed programs.
  add_test(NAME daemon_install
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/daemon_install.sh ${CMAKE_COMMAND} ${PROJECT_BINARY_DIR})
  set_tests_properties(daemon_install PROPERTIES TIMEOUT 60)
  # -h and --help print the usage on stdout and exit 0 (issue 14).
  add_test(NAME daemon_help COMMAND sh -c "for p in um3n-mn um3n-ha um3nctl; do for o in -h --help; \
do \"$0/$p\" $o | grep -q '^usage:' || { echo \"FAIL $p $o\"; exit 1; }; done; done"
    $<TARGET_FILE_DIR:um3n-mn>)
endif()

# No object-file dependency cycle in the daemons' platform library (issue 10 §1).
if(MNL_FOUND AND INIH_FOUND)
  add_test(NAME daemons_no_cycles
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_cycles.sh $<TARGET_FILE:um3nd>)
endif()
