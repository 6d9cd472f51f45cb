# SPDX-License-Identifier: MIT
# libsqnsupgrade as an installable library: the portable core, a Pycom board's
# REPL (src/board) and the POSIX host layer (ports by name, socket://, image
# files, the boot ROM's forms), from the objects of sqns_core, sqns_board and
# sqns_host (CMakeLists.txt), compiled once.
#
#   libsqnsupgrade.so.0 (soname) -> .so.0.1.0, and libsqnsupgrade.a
#   install: libraries, headers, sqnsupgrade.pc, sqnsupgrade, sqnsim, the
#            Python module, the man pages and the bash completion
#
# Exports: the objects are built with -fvisibility=hidden and every public
# function carries SQNS_API (include/sqnsupgrade.h, sqnsupgrade_host.h,
# sqnsupgrade_board.h, sqnsupgrade_words.h), so the
# shared library exports exactly those; tests/install/check_exports.sh checks
# that the exported names are the functions the installed headers declare.
#
# The static archive holds the same objects. Its internal functions (the core's
# sqns_emit..., posix_serial_open, image_file_open, bootrom_open...) are global
# symbols of hidden visibility: a program that links the archive could clash
# with one of those names. That is accepted: no GNU-only `ld -r` + `objcopy`
# pass to make them local, and the sqnsupgrade executable, which links the
# archive, uses some of them. The check above verifies that only the public
# functions have default visibility in the archive too.
include(GNUInstallDirs)
set(SQNS_COMPLETION_DIR ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions)

add_library(sqnsupgrade_shared SHARED $<TARGET_OBJECTS:sqns_core> $<TARGET_OBJECTS:sqns_board>
            $<TARGET_OBJECTS:sqns_host> $<TARGET_OBJECTS:sqns_words>)
target_link_libraries(sqnsupgrade_shared PRIVATE PkgConfig::SQNS_ZLIB ${SQNS_OS_LIBS})
if(SQNS_ZIP)
  target_link_libraries(sqnsupgrade_shared PRIVATE PkgConfig::SQNS_LIBZIP)
endif()
if(WIN32)
  # sqnsupgrade.dll, for the Python module's ctypes: no lib prefix, no version in the name,
  # and its runtime (libgcc, winpthread, zlib) inside it, so that it is the one file needed.
  set_target_properties(sqnsupgrade_shared PROPERTIES OUTPUT_NAME sqnsupgrade PREFIX "")
  target_link_options(sqnsupgrade_shared PRIVATE -static -static-libgcc)
else()
  set_target_properties(sqnsupgrade_shared PROPERTIES
    OUTPUT_NAME sqnsupgrade
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
endif()
target_include_directories(sqnsupgrade_shared PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_options(sqnsupgrade_shared PRIVATE -Wl,--no-undefined)

# A program that links the archive adds -lz and -lzip (pkg-config --static --libs says so).
add_library(sqnsupgrade_static STATIC $<TARGET_OBJECTS:sqns_core> $<TARGET_OBJECTS:sqns_board>
            $<TARGET_OBJECTS:sqns_host> $<TARGET_OBJECTS:sqns_words>)
set_target_properties(sqnsupgrade_static PROPERTIES OUTPUT_NAME sqnsupgrade)
target_include_directories(sqnsupgrade_static PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(sqnsupgrade_static INTERFACE PkgConfig::SQNS_ZLIB ${SQNS_OS_LIBS})
if(SQNS_ZIP)
  target_link_libraries(sqnsupgrade_static INTERFACE PkgConfig::SQNS_LIBZIP)
endif()

# pkg-config: relocatable (prefix found from the .pc file's own folder), so
# that `cmake --install build --prefix DIR` and `make install PREFIX=DIR`
# give a working file whatever CMAKE_INSTALL_PREFIX was at configure time.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(SQNS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(SQNS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH sqns_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" sqns_pc_up "${sqns_pc_up}")
  set(SQNS_PC_PREFIX "\${pcfiledir}/${sqns_pc_up}")
  set(SQNS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(SQNS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(SQNS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(SQNS_PC_LIBS_PRIVATE "-lz")
if(SQNS_ZIP)
  string(APPEND SQNS_PC_LIBS_PRIVATE " -lzip")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/sqnsupgrade.pc.in
               ${PROJECT_BINARY_DIR}/sqnsupgrade.pc @ONLY)

# The Python module goes where the system python3 looks under the prefix given
# to `cmake --install` / `make install` (not known before): cmake/python_dir.py
# asks the interpreter at install time (~/.local: its user site, site-packages;
# /usr/local and /usr: Debian's dist-packages). SQNS_PYTHON_DIR, when set,
# forces a folder relative to the prefix.
find_program(SQNS_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
# A build configured before kept a folder computed then (dist-packages, which
# ~/.local's Python does not search): drop it, it was no one's choice.
get_property(sqns_help CACHE SQNS_PYTHON_DIR PROPERTY HELPSTRING)
if(sqns_help STREQUAL "Where the Python module is installed, relative to the prefix")
  unset(SQNS_PYTHON_DIR CACHE)
endif()
set(SQNS_PYTHON_DIR "" CACHE STRING
    "Where the Python module is installed, relative to the prefix (empty: ask python3)")
set(sqns_dests ${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_INCLUDEDIR}
    ${CMAKE_INSTALL_BINDIR} ${CMAKE_INSTALL_MANDIR}/man1 ${CMAKE_INSTALL_MANDIR}/man3
    ${SQNS_COMPLETION_DIR})
install(CODE "
  set(sqns_python3 \"${SQNS_SYSTEM_PYTHON3}\")
  set(sqns_python_dir \"${SQNS_PYTHON_DIR}\")
  set(sqns_source_dir \"${PROJECT_SOURCE_DIR}\")
  set(sqns_dirs_file \"${PROJECT_BINARY_DIR}/install_dirs.txt\")
  set(sqns_dests \"${sqns_dests}\")")
# Before any file is copied: the Python folder, and the folders this install
# creates (install_dirs.txt, beside install_manifest.txt; without DESTDIR, as
# the manifest), which `make uninstall` removes when they are empty again. A
# folder a previous install created and still there stays listed.
install(CODE [[
  if(NOT sqns_python_dir)
    set(sqns_python_dir "lib/python3/dist-packages")
    if(sqns_python3)
      execute_process(COMMAND "${sqns_python3}" "${sqns_source_dir}/cmake/python_dir.py"
                              "${CMAKE_INSTALL_PREFIX}"
                      OUTPUT_VARIABLE sqns_asked OUTPUT_STRIP_TRAILING_WHITESPACE
                      RESULT_VARIABLE sqns_rc)
      if(sqns_rc EQUAL 0 AND sqns_asked)
        set(sqns_python_dir "${sqns_asked}")
      endif()
    endif()
  endif()
  list(APPEND sqns_dests "${sqns_python_dir}/sqnsupgrade")
  set(sqns_created "")
  if(EXISTS "${sqns_dirs_file}")
    file(STRINGS "${sqns_dirs_file}" sqns_before)
    foreach(d IN LISTS sqns_before)
      if(IS_DIRECTORY "$ENV{DESTDIR}${d}")
        list(APPEND sqns_created "${d}")
      endif()
    endforeach()
  endif()
  foreach(d IN LISTS sqns_dests)
    if(NOT IS_ABSOLUTE "${d}")
      set(d "${CMAKE_INSTALL_PREFIX}/${d}")
    endif()
    while(NOT IS_DIRECTORY "$ENV{DESTDIR}${d}" AND NOT d STREQUAL "/" AND NOT d STREQUAL "")
      list(APPEND sqns_created "${d}")
      get_filename_component(d "${d}" DIRECTORY)
    endwhile()
  endforeach()
  list(REMOVE_DUPLICATES sqns_created)
  string(REPLACE ";" "\n" sqns_lines "${sqns_created}")
  file(WRITE "${sqns_dirs_file}" "${sqns_lines}\n")
]])

install(TARGETS sqnsupgrade_shared sqnsupgrade_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/sqnsupgrade.h
              ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_host.h
              ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_board.h
              ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_words.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/sqnsupgrade.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(TARGETS sqnsupgrade RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET sqnsim)
  install(TARGETS sqnsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(CODE [[
  file(GLOB sqns_py "${sqns_source_dir}/python/sqnsupgrade/*.py")
  file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${sqns_python_dir}/sqnsupgrade" TYPE FILE
       FILES ${sqns_py})
]])
# Where bash-completion loads it from on demand (XDG_DATA_DIRS: PREFIX/share;
# ~/.local/share for a user's prefix).
install(FILES ${PROJECT_SOURCE_DIR}/completion/sqnsupgrade.bash
        DESTINATION ${SQNS_COMPLETION_DIR} RENAME sqnsupgrade)
file(GLOB sqns_man1 ${PROJECT_SOURCE_DIR}/man/*.1)
if(sqns_man1)
  install(FILES ${sqns_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
file(GLOB sqns_man3 ${PROJECT_SOURCE_DIR}/man/*.3)
if(sqns_man3)
  install(FILES ${sqns_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
endif()
