# tests/test_confkeys.c checks the two documents that list the engine keys
# (core/confkeys.c) against the table; it reads them from the source tree.
target_compile_definitions(test_confkeys PRIVATE
  UM3N_CONFKEYS_MAN="${PROJECT_SOURCE_DIR}/daemons/man/um3n.conf.5"
  UM3N_CONFKEYS_SIM_README="${PROJECT_SOURCE_DIR}/sim/README.md")
