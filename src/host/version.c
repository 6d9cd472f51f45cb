/* SPDX-License-Identifier: MIT */
/*
 * sqns_version (sqnsupgrade_host.h): the version of project() in
 * CMakeLists.txt, the one place it is written, given to this file by the
 * build (SQNS_LIB_VERSION, a compile definition of sqns_host).
 */
#include "sqnsupgrade_host.h"

#ifndef SQNS_LIB_VERSION
#error "SQNS_LIB_VERSION comes from the build: CMakeLists.txt's project(VERSION)"
#endif

const char *sqns_version(void)
{
	return SQNS_LIB_VERSION;
}
