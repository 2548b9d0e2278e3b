# `cpack -G DEB` (README, "Packages"): a Debian package of the daemons, their
# man pages, example configs and systemd units, for /usr.
#
# The units are written at install time for the prefix installed to
# (daemons/CMakeLists.txt). CPack's DEB generator installs with
# CMAKE_INSTALL_PREFIX = CPACK_PACKAGING_INSTALL_PREFIX (/usr) below its
# staging directory, whatever prefix the build was configured with, so the
# units say /usr/sbin, where the package puts the programs.
# tests/deb_check.sh checks that, and more, on the built package.
set(CPACK_PACKAGE_NAME um3n)
set(CPACK_PACKAGE_VENDOR "um3n")
set(CPACK_PACKAGE_CONTACT "um3n maintainers <um3n@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multihomed Mobile IPv4 mobile node and home agent")
set(CPACK_PACKAGE_DESCRIPTION "um3n-mn spreads a host's traffic over several uplinks
(cellular, WiFi, Ethernet) through a UDP tunnel to um3n-ha, its home agent,
which keeps the host's home address reachable across handovers (RFC 5944,
RFC 3519 UDP tunnelling). um3nctl shows and changes their state.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # um3n_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "iproute2")
if(CMAKE_CROSSCOMPILING)
  # dpkg-shlibdeps would look for the host's libraries: name the run-time
  # libraries (README, "Install and run on real machines", step 1) instead.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libsodium23, libmnl0, libinih1, libpcap0.8")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
include(CPack)
