/* SPDX-License-Identifier: MIT */
#include "sqnsupgrade.h"

const char *sqns_strerror(int err)
{
	switch (err) {
	case SQNS_OK:
		return "success";
	case SQNS_ERR_ARG:
		return "invalid argument";
	case SQNS_ERR_IO:
		return "the serial port failed";
	case SQNS_ERR_TIMEOUT:
		return "the modem did not answer in time";
	case SQNS_ERR_PROTOCOL:
		return "the modem's STP answers stayed invalid after every retry";
	case SQNS_ERR_MODEM:
		return "the modem answered ERROR";
	case SQNS_ERR_STATE:
		return "the modem is in a mode where this cannot be done";
	case SQNS_ERR_REJECTED:
		return "the modem rejected the firmware image";
	case SQNS_ERR_NO_MODEM:
		return "no modem answered AT";
	case SQNS_ERR_UNSUPPORTED:
		return "this port cannot change its rate, and this needs another rate";
	case SQNS_ERR_IMAGE:
		return "the firmware image could not be read";
	case SQNS_ERR_ABORTED:
		return "interrupted";
	case SQNS_ERR_REFUSED:
		return "a safety check refused the upgrade";
	case SQNS_ERR_VERIFY:
		return "the modem runs another build than the image installs";
	default:
		return "unknown error";
	}
}

const char *sqns_mode_name(int mode)
{
	switch (mode) {
	case SQNS_MODE_RECOVERY:
		return "recovery";
	case SQNS_MODE_MTOOLS:
		return "mtools";
	case SQNS_MODE_APPLICATION:
		return "application";
	case SQNS_MODE_UPDATER:
		return "updater";
	case SQNS_MODE_UPGRADE:
		return "upgrade";
	default:
		return "unknown";
	}
}

const char *sqns_channel_name(int channel)
{
	switch (channel) {
	case SQNS_CHANNEL_CATM1:
		return "CAT-M1";
	case SQNS_CHANNEL_NBIOT:
		return "NB-IoT";
	default:
		return "unknown channel";
	}
}
