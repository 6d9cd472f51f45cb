# SPDX-License-Identifier: MIT
# The example firmware for QEMU's mps2-an386 (board_mps2.c, mps2.ld), included
# by embedded/CMakeLists.txt in a cross build; tests/qemu configures with
# -DSQNS_MPS2=ON and runs it against sqnsim. Off by default, so that
# scripts/cross.sh's static figures (sizes, stack_depth.py over every .ci file)
# stay those of board_m4.c alone.
option(SQNS_MPS2 "Build the example firmware for QEMU's mps2-an386" OFF)
if(SQNS_MPS2)
  add_executable(sqns_mps2_example ${SQNS_BM}/board_mps2.c)
  set_target_properties(sqns_mps2_example PROPERTIES SUFFIX .elf LINK_DEPENDS ${SQNS_BM}/mps2.ld)
  target_compile_definitions(sqns_mps2_example PRIVATE BM_STACK_SIZE=${SQNS_STACK_SIZE}u)
  target_link_libraries(sqns_mps2_example PRIVATE bm_port)
  target_link_options(sqns_mps2_example PRIVATE
    -nostartfiles --specs=nano.specs -T${SQNS_BM}/mps2.ld
    -Wl,--defsym=BM_STACK_SIZE=${SQNS_STACK_SIZE} -Wl,-Map=sqns_mps2_example.map)
endif()
