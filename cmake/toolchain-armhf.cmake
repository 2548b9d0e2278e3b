# 32-bit ARMv7 hard-float (Debian armhf, e.g. many routers and older boards):
# cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-armhf.cmake
set(UM3N_CROSS_TRIPLET arm-linux-gnueabihf)
set(UM3N_CROSS_PROCESSOR armv7l)
set(UM3N_CROSS_DEBARCH armhf)
set(UM3N_CROSS_QEMU qemu-arm-static)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
