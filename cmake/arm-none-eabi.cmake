# SPDX-License-Identifier: MIT
# Cross toolchain: Debian's gcc-arm-none-eabi for a Cortex-M4 (Thumb-2, soft
# float: the core has no floating point), optimised for size, freestanding.
#   cmake -S embedded -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

find_program(SQNS_ARM_GCC arm-none-eabi-gcc REQUIRED)
set(CMAKE_C_COMPILER ${SQNS_ARM_GCC})
set(CMAKE_ASM_COMPILER ${SQNS_ARM_GCC})
foreach(tool ar ranlib objcopy objdump size nm)
  string(TOUPPER ${tool} TOOL)
  find_program(CMAKE_${TOOL} arm-none-eabi-${tool} REQUIRED)
endforeach()

# No host program can run: test the compiler with a static library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(SQNS_ARM_FLAGS "-mthumb -mcpu=cortex-m4 -mfloat-abi=soft")
set(CMAKE_C_FLAGS_INIT
    "${SQNS_ARM_FLAGS} -Os -ffreestanding -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${SQNS_ARM_FLAGS} -Wl,--gc-sections")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
