# SPDX-License-Identifier: MIT
# Cross-building for 64-bit Windows with Debian's mingw-w64 (gcc-mingw-w64-x86-64):
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
# (`make windows` does it; docs/windows.md). zlib is Debian's libz-mingw-w64-dev, found through
# its pkg-config file under the sysroot.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(SQNS_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${SQNS_MINGW_TRIPLET}-gcc)
set(CMAKE_RC_COMPILER ${SQNS_MINGW_TRIPLET}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${SQNS_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config looks at the Windows libraries only, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/${SQNS_MINGW_TRIPLET}/lib/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
