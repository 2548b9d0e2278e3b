# Wire codec extras (owned with core/wire_*.c): libpcap for test_wire_data's
# real-trace case, and the interop test (tests/interop/): our pcap must be decoded by
# tshark and scapy as Mobile IP.
if(PCAP_FOUND AND TARGET test_wire_data)
  # The real captures live in traces/pcap (traces/README.md); the
  # environment variable UM3N_TRACE_DIR overrides it at run time.
  target_compile_definitions(test_wire_data PRIVATE UM3N_HAVE_PCAP=1
    UM3N_TRACE_DIR="${PROJECT_SOURCE_DIR}/traces/pcap")
endif()

if(PCAP_FOUND)
  add_executable(wire_interop_writer ${PROJECT_SOURCE_DIR}/tests/interop/write_pcap.c)
  target_link_libraries(wire_interop_writer PRIVATE um3n PkgConfig::PCAP)
  # Exit 77 (skipped) when tshark or the scapy of /usr/bin/python3 is missing.
  add_test(NAME wire_interop
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/interop/run.sh
            $<TARGET_FILE:wire_interop_writer> ${CMAKE_CURRENT_BINARY_DIR}/wire_interop.pcap)
  set_tests_properties(wire_interop PROPERTIES SKIP_RETURN_CODE 77 LABELS interop)
endif()

# contrib/wireshark/um3n.lua over the simulator's and the emulators' pcaps
# (tests/wireshark/run.sh); exit 77 (skipped) without tshark.
if(INIH_FOUND AND PCAP_FOUND)
  add_test(NAME wireshark_lua
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/wireshark/run.sh $<TARGET_FILE:um3n-sim>
            ${PROJECT_SOURCE_DIR}/traces/scenarios ${PROJECT_SOURCE_DIR}/contrib/wireshark/um3n.lua
            ${PROJECT_SOURCE_DIR}/traces/captures)
  set_tests_properties(wireshark_lua PROPERTIES SKIP_RETURN_CODE 77 LABELS interop)
endif()

# The encrypted data plane's captures hold no inner address (tests/interop/sealed.sh).
if(INIH_FOUND AND PCAP_FOUND)
  add_test(NAME wire_sealed COMMAND sh ${PROJECT_SOURCE_DIR}/tests/interop/sealed.sh
           $<TARGET_FILE:um3n-sim> ${PROJECT_SOURCE_DIR}/traces/scenarios)
  set_tests_properties(wire_sealed PROPERTIES SKIP_RETURN_CODE 77 LABELS interop)
endif()
