# SPDX-License-Identifier: MIT
# The portable core's sources (no OS headers, no heap): the one list the host
# build (CMakeLists.txt) and the embedded build (embedded/CMakeLists.txt) both
# compile. A file added to src/core is added here.
get_filename_component(sqns_core_dir ${CMAKE_CURRENT_LIST_DIR}/../src/core ABSOLUTE)
set(SQNS_CORE_SOURCES
  ${sqns_core_dir}/stp_frame.c
  ${sqns_core_dir}/errors.c
  ${sqns_core_dir}/at.c
  ${sqns_core_dir}/stp.c
  ${sqns_core_dir}/modem.c
  ${sqns_core_dir}/upgrade.c
  ${sqns_core_dir}/images.c
  ${sqns_core_dir}/release.c
)
set(SQNS_CORE_INCLUDE_DIR ${sqns_core_dir})
