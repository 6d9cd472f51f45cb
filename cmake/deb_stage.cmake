# SPDX-License-Identifier: MIT
# Run by cpack (CPACK_PRE_BUILD_SCRIPTS, cmake/package.cmake) once `cmake --install` has filled
# its staging folder, before the .deb is made: what Debian policy asks beyond `make install`.
#   - man pages gzipped (gzip -9n: no name, no time stamp; the package is reproducible)
#   - /usr/share/doc/sqnsupgrade/copyright (machine-readable, MIT) and changelog.Debian.gz
#   - /usr/share/lintian/overrides/sqnsupgrade
#   - what dh_strip also removes: .comment and .note from the ELF files, the debugging
#     information from the archive (CPACK_STRIP_FILES has stripped the rest)
#   - modes: 0755 folders and executables, 0644 the rest (whatever the umask was)
set(stage "${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
if(NOT IS_DIRECTORY "${stage}/usr")
  message(FATAL_ERROR "deb_stage.cmake: no usr/ in the staging folder '${stage}'")
endif()
set(src "${CPACK_SQNS_SOURCE_DIR}/packaging/debian")
set(doc "${stage}/usr/share/doc/sqnsupgrade")
find_program(sqns_gzip gzip REQUIRED)

# The changelog's first entry is this version: a .deb that says 0.2.0-1 in its control file
# and 0.1.0-1 in its changelog would be a lie lintian does not catch.
file(STRINGS "${src}/changelog" first LIMIT_COUNT 1)
if(NOT first MATCHES "^sqnsupgrade \\(${CPACK_SQNS_VERSION}\\) ")
  message(FATAL_ERROR "packaging/debian/changelog: the first entry is '${first}', "
                      "not sqnsupgrade (${CPACK_SQNS_VERSION})")
endif()

file(MAKE_DIRECTORY "${doc}" "${stage}/usr/share/lintian/overrides")
file(COPY_FILE "${src}/copyright" "${doc}/copyright")
file(COPY_FILE "${src}/lintian-overrides" "${stage}/usr/share/lintian/overrides/sqnsupgrade")
file(COPY_FILE "${src}/changelog" "${doc}/changelog.Debian")

file(GLOB_RECURSE man "${stage}/usr/share/man/*")
list(FILTER man EXCLUDE REGEX "\\.gz$")
foreach(f IN LISTS man ITEMS "${doc}/changelog.Debian")
  execute_process(COMMAND "${sqns_gzip}" -9nf "${f}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "deb_stage.cmake: gzip ${f} failed")
  endif()
endforeach()

find_program(sqns_strip NAMES strip REQUIRED)
file(GLOB elves "${stage}/usr/bin/*" "${stage}/usr/lib/*/libsqnsupgrade.so.*.*.*")
foreach(f IN LISTS elves)
  execute_process(COMMAND "${sqns_strip}" --remove-section=.comment --remove-section=.note
                          "${f}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "deb_stage.cmake: strip ${f} failed")
  endif()
endforeach()
file(GLOB archives "${stage}/usr/lib/*/*.a")
foreach(f IN LISTS archives)
  execute_process(COMMAND "${sqns_strip}" --strip-debug --remove-section=.comment
                          --remove-section=.note --enable-deterministic-archives "${f}"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "deb_stage.cmake: strip ${f} failed")
  endif()
endforeach()

# Modes: chmod whole trees (file(CHMOD) needs 3.19; cpack is this CMake's).
file(GLOB_RECURSE files LIST_DIRECTORIES true "${stage}/*")
foreach(f IN LISTS files)
  if(IS_SYMLINK "${f}")
    continue()
  elseif(IS_DIRECTORY "${f}" OR f MATCHES "/usr/bin/[^/]+$")
    file(CHMOD "${f}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
         GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  else()
    file(CHMOD "${f}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  endif()
endforeach()
