# libsqnsupgrade as an installable library: the portable core and the POSIX
# host layer (ports by name, socket://, image files, the boot ROM's forms),
# from the objects of sqns_core and sqns_host (CMakeLists.txt), compiled once.
#
#   libsqnsupgrade.so.0 (soname) -> .so.0.1.0, and libsqnsupgrade.a
#   install: libraries, headers, sqnsupgrade.pc, sqnsupgrade, sqnsim, the
#            Python module and the man pages
#
# Exports: the objects are built with -fvisibility=hidden and every public
# function carries SQNS_API (include/sqnsupgrade.h, sqnsupgrade_host.h), so the
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

add_library(sqnsupgrade_shared SHARED $<TARGET_OBJECTS:sqns_core> $<TARGET_OBJECTS:sqns_host>)
target_link_libraries(sqnsupgrade_shared PRIVATE PkgConfig::SQNS_ZLIB)
set_target_properties(sqnsupgrade_shared PROPERTIES
  OUTPUT_NAME sqnsupgrade
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})
target_include_directories(sqnsupgrade_shared PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_options(sqnsupgrade_shared PRIVATE -Wl,--no-undefined)

# A program that links the archive adds -lz (pkg-config --static --libs says so).
add_library(sqnsupgrade_static STATIC $<TARGET_OBJECTS:sqns_core> $<TARGET_OBJECTS:sqns_host>)
set_target_properties(sqnsupgrade_static PROPERTIES OUTPUT_NAME sqnsupgrade)
target_include_directories(sqnsupgrade_static PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(sqnsupgrade_static INTERFACE PkgConfig::SQNS_ZLIB)

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
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/sqnsupgrade.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(TARGETS sqnsupgrade RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET sqnsim)
  install(TARGETS sqnsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/python/sqnsupgrade/
        DESTINATION ${SQNS_PYTHON_DIR}/sqnsupgrade
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
file(GLOB sqns_man1 ${PROJECT_SOURCE_DIR}/man/*.1)
if(sqns_man1)
  install(FILES ${sqns_man1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
file(GLOB sqns_man3 ${PROJECT_SOURCE_DIR}/man/*.3)
if(sqns_man3)
  install(FILES ${sqns_man3} DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
endif()
