# libsqnsupgrade as an installable library (issue 7): the portable core plus
# the POSIX host layer (serial and TCP ports, and the command line itself as
# sqns_cli_main, which python/sqnsupgrade calls through ctypes).
#
#   libsqnsupgrade.so.0 (soname) -> .so.0.1.0, and libsqnsupgrade.a
#   install: libraries, headers, sqnsupgrade.pc, sqnsupgrade, sqnsim, the
#            Python module and the man pages
#
# Included from the top-level CMakeLists.txt after the sqnsupgrade executable
# (whose sources it reuses, so a file added to the command line is in the
# library too) and after sim/.
include(GNUInstallDirs)

# The command line's sources without the executable's main().
get_target_property(sqns_cli_sources sqnsupgrade SOURCES)
list(FILTER sqns_cli_sources EXCLUDE REGEX "src/cli/entry\\.c$")

# Compiled once, position-independent, for both libraries.
add_library(sqnsupgrade_objects OBJECT ${SQNS_CORE_SOURCES} ${sqns_cli_sources})
set_target_properties(sqnsupgrade_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_include_directories(sqnsupgrade_objects
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/src/core ${PROJECT_SOURCE_DIR}/src/port
          ${PROJECT_SOURCE_DIR}/src/host ${PROJECT_SOURCE_DIR}/src/cli)
# The command line's --bootrom inflates sqnsbrz.py with zlib (the core does not use it).
target_link_libraries(sqnsupgrade_objects PRIVATE PkgConfig::SQNS_ZLIB)

add_library(sqnsupgrade_shared SHARED $<TARGET_OBJECTS:sqnsupgrade_objects>)
target_link_libraries(sqnsupgrade_shared PRIVATE Threads::Threads PkgConfig::SQNS_ZLIB)
# Exported: exactly the functions the public headers declare; the core's
# internal sqns_* helpers, the CLI's and the ports' functions stay inside.
set(sqns_public_headers ${PROJECT_SOURCE_DIR}/include/sqnsupgrade.h
                        ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_host.h
                        ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_cli.h)
set(sqns_exports "")
foreach(header ${sqns_public_headers})
  file(READ ${header} sqns_header_text)
  string(REGEX MATCHALL "sqns_[a-z0-9_]+\\(" sqns_found "${sqns_header_text}")
  list(APPEND sqns_exports ${sqns_found})
endforeach()
list(TRANSFORM sqns_exports REPLACE "\\($" "")
list(REMOVE_DUPLICATES sqns_exports)
# The same names, one a line, for the static library's objcopy below.
list(JOIN sqns_exports "\n" sqns_exports_lines)
file(WRITE ${PROJECT_BINARY_DIR}/sqnsupgrade.exports "${sqns_exports_lines}\n")
list(JOIN sqns_exports ";\n    " sqns_exports)
set(SQNS_EXPORTS "${sqns_exports};")
configure_file(${PROJECT_SOURCE_DIR}/cmake/sqnsupgrade.map.in
               ${PROJECT_BINARY_DIR}/sqnsupgrade.map @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${sqns_public_headers})

set_target_properties(sqnsupgrade_shared PROPERTIES
  OUTPUT_NAME sqnsupgrade
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${PROJECT_BINARY_DIR}/sqnsupgrade.map)
target_include_directories(sqnsupgrade_shared PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_options(sqnsupgrade_shared PRIVATE
  -Wl,--version-script=${PROJECT_BINARY_DIR}/sqnsupgrade.map -Wl,--no-undefined)

# The static library holds one relocatable object in which every global symbol
# but the public functions is made local, as the version script does for the
# shared library: the CLI's and the ports' helpers (cmd_run, exit_for,
# shell_quote...) cannot clash with a program's own names. Each time the
# archive is made, its members are linked into one object, localised, and
# archived again.
#
# zlib's inflate goes into that object too (from libz.a, its symbols made
# local like the rest), so that a program links libsqnsupgrade.a alone, as
# before --bootrom learnt to read sqnsbrz.py. Without a libz.a, the program
# must add -lz.
add_library(sqnsupgrade_static STATIC $<TARGET_OBJECTS:sqnsupgrade_objects>)
set_target_properties(sqnsupgrade_static PROPERTIES OUTPUT_NAME sqnsupgrade)
set(sqns_static_object ${PROJECT_BINARY_DIR}/sqnsupgrade_static.o)
find_library(SQNS_ZLIB_ARCHIVE NAMES libz.a HINTS ${SQNS_ZLIB_LIBDIR} ${SQNS_ZLIB_LIBRARY_DIRS})
if(SQNS_ZLIB_ARCHIVE)
  set(sqns_static_zlib --no-whole-archive ${SQNS_ZLIB_ARCHIVE})
else()
  set(sqns_static_zlib "")
  message(WARNING "no libz.a: programs linking libsqnsupgrade.a must add -lz")
  target_link_libraries(sqnsupgrade_static INTERFACE PkgConfig::SQNS_ZLIB)
endif()
add_custom_command(TARGET sqnsupgrade_static POST_BUILD
  COMMAND ${CMAKE_LINKER} -r -o ${sqns_static_object}
          --whole-archive $<TARGET_FILE:sqnsupgrade_static> ${sqns_static_zlib}
  COMMAND ${CMAKE_OBJCOPY} --keep-global-symbols=${PROJECT_BINARY_DIR}/sqnsupgrade.exports
          ${sqns_static_object}
  COMMAND ${CMAKE_COMMAND} -E rm -f $<TARGET_FILE:sqnsupgrade_static>
  COMMAND ${CMAKE_AR} qc $<TARGET_FILE:sqnsupgrade_static> ${sqns_static_object}
  COMMAND ${CMAKE_RANLIB} $<TARGET_FILE:sqnsupgrade_static>
  COMMENT "libsqnsupgrade.a: public symbols only"
  VERBATIM)
target_include_directories(sqnsupgrade_static PUBLIC ${PROJECT_SOURCE_DIR}/include)

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
configure_file(${PROJECT_SOURCE_DIR}/cmake/sqnsupgrade.pc.in
               ${PROJECT_BINARY_DIR}/sqnsupgrade.pc @ONLY)

# Where the system python3 looks for modules under the prefix (Debian).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(sqns_python_default "lib/python3/dist-packages")
else()
  find_program(SQNS_SYSTEM_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(sqns_python_default "lib/python3/dist-packages")
  if(SQNS_SYSTEM_PYTHON3)
    execute_process(COMMAND ${SQNS_SYSTEM_PYTHON3} -c
                            "import sys; print('%d.%d' % sys.version_info[:2])"
                    OUTPUT_VARIABLE sqns_pyver OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(sqns_pyver)
      set(sqns_python_default "lib/python${sqns_pyver}/dist-packages")
    endif()
  endif()
endif()
set(SQNS_PYTHON_DIR "${sqns_python_default}" CACHE STRING
    "Where the Python module is installed, relative to the prefix")

install(TARGETS sqnsupgrade_shared sqnsupgrade_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/sqnsupgrade.h
              ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_host.h
              ${PROJECT_SOURCE_DIR}/include/sqnsupgrade_cli.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/sqnsupgrade.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(TARGETS sqnsupgrade RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET sqnsim)
  install(TARGETS sqnsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${PROJECT_SOURCE_DIR}/python/sqnsupgrade/__init__.py
        DESTINATION ${SQNS_PYTHON_DIR}/sqnsupgrade)
file(GLOB sqns_man1 ${PROJECT_SOURCE_DIR}/man/*.1)
if(sqns_man1)
  install(FILES ${sqns_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
file(GLOB sqns_man3 ${PROJECT_SOURCE_DIR}/man/*.3)
if(sqns_man3)
  install(FILES ${sqns_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
endif()
