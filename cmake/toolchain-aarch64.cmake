# 64-bit ARM (Debian arm64): cmake -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
set(UM3N_CROSS_TRIPLET aarch64-linux-gnu)
set(UM3N_CROSS_PROCESSOR aarch64)
set(UM3N_CROSS_DEBARCH arm64)
set(UM3N_CROSS_QEMU qemu-aarch64-static)
include(${CMAKE_CURRENT_LIST_DIR}/cross-debian.cmake)
