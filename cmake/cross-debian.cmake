# Shared part of the Debian cross toolchains (toolchain-aarch64.cmake,
# toolchain-armhf.cmake; README, "Cross builds"). The caller sets
# UM3N_CROSS_TRIPLET, UM3N_CROSS_PROCESSOR, UM3N_CROSS_DEBARCH and
# UM3N_CROSS_QEMU. Debian's cross compilers (gcc-aarch64-linux-gnu,
# gcc-arm-linux-gnueabihf) use the host's / as sysroot and find the
# target's multiarch libraries (libsodium-dev:arm64 …, ci/deps.sh cross) in
# /usr/lib/<triplet>: no sysroot of our own.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${UM3N_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${UM3N_CROSS_TRIPLET}-gcc)

# pkg-config must see only the target's .pc files: the host's
# /usr/lib/x86_64-linux-gnu/pkgconfig would link x86 libraries.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${UM3N_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_FIND_ROOT_PATH /usr/${UM3N_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)

# ctest runs the target's programs under qemu-user. The target's loader and
# libc are the multiarch libc6:<arch> that the -dev:<arch> packages pull in
# (/lib/ld-linux-*.so), so no -L: with `-L /usr/<triplet>` (the cross libc)
# qemu-user 7.2 hangs (arm64) or crashes (armhf) in the guest's first
# pthread_create, even in a six-line program.
find_program(UM3N_CROSS_QEMU_PATH ${UM3N_CROSS_QEMU})
if(UM3N_CROSS_QEMU_PATH)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${UM3N_CROSS_QEMU_PATH})
endif()

# `cpack -G DEB` in a cross build labels the package with the target's
# architecture, not the build host's (dpkg --print-architecture).
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${UM3N_CROSS_DEBARCH})
