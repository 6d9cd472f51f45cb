# SPDX-License-Identifier: MIT
# The Debian package (CPack, DEB generator): everything `make install` installs, in one
# package named sqnsupgrade: the tool, sqnsim, libsqnsupgrade.so.0 (and the .so link and the
# archive), the headers, sqnsupgrade.pc, the man pages (gzipped), the bash completion and the
# Python module (/usr/lib/python3/dist-packages). `make package` (scripts/package.sh) builds it
# in build-package/ with prefix /usr and Debian's build flags, then runs cpack there.
#
# One package rather than a libsqnsupgrade0 + libsqnsupgrade-dev + sqnsupgrade split: this is a
# tool that a user downloads and installs by hand (`apt install ./sqnsupgrade_*.deb`), not a
# Debian archive package. Lintian says so with warnings (package-name-doesnt-match-sonames...):
# packaging/debian/lintian-overrides overrides those, each with its reason.
#
# What Debian policy wants and `make install` does not do (man pages gzipped, the copyright and
# changelog.Debian.gz in /usr/share/doc/sqnsupgrade, the lintian overrides) is done in CPack's
# staging folder by cmake/deb_stage.cmake (CPACK_PRE_BUILD_SCRIPTS), so `make install` is
# unchanged.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sqnsupgrade)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "the sqnsupgrade authors")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "firmware updater for the Sequans SQN3330 LTE modem")
# The extended description as dpkg shows it: lines of at most 80 columns.
set(CPACK_PACKAGE_DESCRIPTION "\
sqnsupgrade upgrades the firmware of the Sequans SQN3330 LTE modem, the modem
inside Pycom's GPy, FiPy and G01 boards, over a serial port, a socket:// serial
server or the board's USB port. It waits on the modem's answers, retries what
can be retried, refuses what would break the modem, and says what state the
modem is in when something fails.

This package holds the command-line tool, the sqnsim simulated modem, the
libsqnsupgrade shared library with its headers and pkg-config file, and the
sqnsupgrade Python module for Python 3.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGE_CHECKSUM SHA256)
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/packages)

set(SQNS_DEB_MAINTAINER "sqnsupgrade maintainers <maintainers@users.noreply.r-seed-f3be5251.example>"
    CACHE STRING "The Debian package's Maintainer field")
set(SQNS_DEB_RELEASE 1 CACHE STRING
    "The Debian revision (packaging/debian/changelog's first entry must be VERSION-REVISION)")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SQNS_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SQNS_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # sqnsupgrade_VERSION-REVISION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the ELF files (dpkg-shlibdeps, from dpkg-dev): libc6, zlib1g and libzip4 today.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The shlibs file for libsqnsupgrade.so.0, and the ldconfig trigger that comes with it.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3, bash-completion")
# The ldconfig trigger lintian asks for (lacks-ldconfig-trigger): CPack 3.25 writes a postinst
# and a postrm that call ldconfig instead, which stay (an override says why).
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/debian/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Folders 0755 whatever the umask of whoever builds it.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/deb_stage.cmake)
# What cmake/deb_stage.cmake reads (it runs inside cpack, which knows only CPACK_* variables).
set(CPACK_SQNS_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_SQNS_VERSION "${PROJECT_VERSION}-${SQNS_DEB_RELEASE}")
include(CPack)
