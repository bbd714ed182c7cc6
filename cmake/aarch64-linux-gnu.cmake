# Cross build for arm64 (Debian's crossbuild-essential-arm64 and the :arm64
# -dev packages, installed by scripts/deps/arm64.sh):
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR); see tests/CMakeLists.txt
# for the ctest label arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(HVKIT_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${HVKIT_CROSS_TRIPLE}-gcc)

# libxen-dev:arm64 cannot be installed beside the amd64 one (no Multi-Arch);
# arm64.sh unpacks it here.
if(NOT HVKIT_CROSS_XEN)
  set(HVKIT_CROSS_XEN /usr/local/lib/hvkit-cross/aarch64/libxen-dev)
endif()

# pkg-config sees only arm64 .pc files.
set(ENV{PKG_CONFIG_LIBDIR}
  "${HVKIT_CROSS_XEN}/usr/lib/${HVKIT_CROSS_TRIPLE}/pkgconfig:/usr/lib/${HVKIT_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
# Indirect libraries (libxenctrl's libxencall, ...) are found at link time.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,/usr/lib/${HVKIT_CROSS_TRIPLE}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-Wl,-rpath-link,/usr/lib/${HVKIT_CROSS_TRIPLE}")

set(CMAKE_FIND_ROOT_PATH /usr/${HVKIT_CROSS_TRIPLE} /usr/lib/${HVKIT_CROSS_TRIPLE} ${HVKIT_CROSS_XEN})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_LIBRARY_ARCHITECTURE ${HVKIT_CROSS_TRIPLE})

# Loader and libc must come from one package (libc6:arm64, under /): the
# cross toolchain's copy in /usr/aarch64-linux-gnu mixed with the archive's
# libc makes every pthread_create spin. So no -L here.
find_program(HVKIT_QEMU_AARCH64 qemu-aarch64-static qemu-aarch64)
if(HVKIT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${HVKIT_QEMU_AARCH64})
endif()
