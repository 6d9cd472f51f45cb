# SPDX-License-Identifier: MIT
"""sqnsupgrade: the SQN3330 firmware updater as Pycom's Python module, on a PC.

For the system python3, standard library only: ctypes over libsqnsupgrade's C
API (sqnsupgrade.h, the core; sqnsupgrade_host.h, ports and files). The calls
of Pycom's Modem Firmware Update instructions work as they are:

    import sqnsupgrade
    sqnsupgrade.run('/dev/ttyUSB0', 'CATM1-39529.dup')                # normal upgrade
    sqnsupgrade.run('/dev/ttyUSB0', 'CATM1-39529.dup', 'updater.elf') # recovery method
    sqnsupgrade.run(port, dup, load_fff=True, fc=True, verbose=True)
    sqnsupgrade.info(port); sqnsupgrade.version(port)
    sqnsupgrade.state(port); sqnsupgrade.imei(port)
    sqnsupgrade.uart(True, 'updater.elf', port=MODEM, host=PORT)     # mirror mode

and return values: run() a Result (stage, builds, verified...), info() an
Info, version() a Version, state() the mode number, imei() the IMEI. A failure
raises SqnsupgradeError with the command line's exit status, the library's
error, the refusal, the modem's stage in words and what to do.

Console: run(), info(), version() and uart() print what Pycom's instructions show
(the transcript of an upgrade on sys.stdout; verbose= and debug= lines on
sys.stderr) unless quiet=True; state() and imei() print nothing. A program
follows an upgrade through progress=(done, total, step) and on_event=(Event).

Threads: each call owns its context, its port and its files, and ctypes
releases the GIL while the library works, so several modems can be upgraded
from several threads at once (pass quiet=True, or the transcripts interleave).
Stopping: the library always closes an STP session before it returns. When
cancel= (a threading.Event) is set, the call raises SqnsupgradeError with
status 8. Ctrl-C during a call in the main thread is held until then, and
Python's SIGINT handler runs after (KeyboardInterrupt); calls in other threads
stop by their cancel=. An exception raised by progress= or on_event= stops the
call the same way and is raised from it.

The library is looked for in $SQNSUPGRADE_LIB (a path); then, for an
installed module (in a site-packages or dist-packages folder), in PREFIX/lib;
for the module of a source tree (PYTHONPATH=python), in that tree's build/
(make), build-release/ (scripts/demo.sh) and build-test/ (scripts/test.sh);
then by the dynamic loader (LD_LIBRARY_PATH, ldconfig). When none loads, the
ImportError names every place tried.
"""
import ctypes
import dataclasses
import os
import signal
import sys
import sysconfig
import threading
import time
from typing import Callable, Dict, Optional

__all__ = ["run", "info", "version", "state", "imei", "uart", "library_path",
           "SqnsupgradeError", "Result", "Info", "Version", "Event"]

# On Windows, make windows's sqnsupgrade.dll (its runtime linked in: the one file needed).
_WINDOWS = os.name == "nt"
_LIBNAME = "sqnsupgrade.dll" if _WINDOWS else "libsqnsupgrade.so.0"

# The command line's exit statuses (README.md, "Exit statuses"): SqnsupgradeError.status.
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_FILE, EXIT_PORT, EXIT_NO_MODEM = 0, 1, 2, 3, 4, 5
EXIT_TRANSFER, EXIT_REJECTED, EXIT_INTERRUPTED, EXIT_STATE = 6, 7, 8, 9
EXIT_REFUSED, EXIT_VERIFY = 10, 11

# ---- the C API's numbers and names (include/sqnsupgrade.h) ----

SQNS_OK = 0
SQNS_ERR_ARG, SQNS_ERR_IO, SQNS_ERR_TIMEOUT, SQNS_ERR_PROTOCOL = -1, -2, -3, -4
SQNS_ERR_MODEM, SQNS_ERR_STATE, SQNS_ERR_REJECTED, SQNS_ERR_NO_MODEM = -5, -6, -7, -8
SQNS_ERR_UNSUPPORTED, SQNS_ERR_IMAGE, SQNS_ERR_ABORTED, SQNS_ERR_REFUSED = -9, -10, -11, -12
SQNS_ERR_VERIFY = -13

ERRORS = {0: "ok", -1: "arg", -2: "io", -3: "timeout", -4: "protocol", -5: "modem", -6: "state",
          -7: "rejected", -8: "no_modem", -9: "unsupported", -10: "image", -11: "aborted",
          -12: "refused", -13: "verify"}

# enum sqns_err -> exit status, as the command line maps them.
_STATUS = {SQNS_ERR_NO_MODEM: EXIT_NO_MODEM, SQNS_ERR_PROTOCOL: EXIT_TRANSFER,
           SQNS_ERR_TIMEOUT: EXIT_TRANSFER, SQNS_ERR_REJECTED: EXIT_REJECTED,
           SQNS_ERR_ABORTED: EXIT_INTERRUPTED, SQNS_ERR_STATE: EXIT_STATE,
           SQNS_ERR_IMAGE: EXIT_FILE, SQNS_ERR_REFUSED: EXIT_REFUSED,
           SQNS_ERR_VERIFY: EXIT_VERIFY, SQNS_ERR_IO: EXIT_PORT}

MODES = {-1: "unknown", 0: "recovery", 1: "mtools", 2: "application", 3: "updater", 4: "upgrade"}
MODE_RECOVERY, MODE_MTOOLS, MODE_APPLICATION, MODE_UPDATER, MODE_UPGRADE = 0, 1, 2, 3, 4

# enum sqns_stage, enum sqns_refusal, enum sqns_event_type, enum sqns_phase: by value.
STAGES = ("untouched", "upgrade_mode", "transferred", "done", "recovery")
REFUSALS = ("none", "updater_not_elf", "firmware_is_elf", "diff_with_updater",
            "diff_wrong_base", "factory_bootrom", "bootrom_missing", "recovery_no_updater",
            "recovery_diff", "mtools_updater", "bootrom_not_upgr", "firmware_is_zip",
            "firmware_is_compressed", "firmware_is_tar", "firmware_is_html", "firmware_is_text",
            "firmware_is_bootrom", "part2_wrong_base", "release", "no_image_fits")
# enum sqns_release_problem and enum sqns_choice_why: by value.
RELEASE_PROBLEMS = ("ok", "empty", "no_build", "two_releases", "two_updaters", "part_missing",
                    "not_firmware", "updater_not_elf", "unreadable")
CHOICES = ("none", "diff", "full", "full_unread", "switch", "diff_only", "parts", "current")
EVENT_TYPES = ("phase", "progress", "tick", "session", "retry", "at_tx", "at_rx", "stp_tx",
               "stp_rx", "rate")
(EV_PHASE, EV_PROGRESS, EV_TICK, EV_SESSION, EV_RETRY, EV_AT_TX, EV_AT_RX, EV_STP_TX, EV_STP_RX,
 EV_RATE) = range(len(EVENT_TYPES))
PHASES = ("wakeup", "reboot_upgrade", "resume", "fff_too_big", "stp_on_the_fly", "stp_fff",
          "download_done", "applying", "resetting", "completed", "stp_bootrom", "bootrom_done",
          "negotiate", "updater_done", "ppp_escape", "stp_abandoned", "fast_link", "plan",
          "already_current", "verified", "stp_wait", "fast_link_lost", "checking",
          "bootrom_again", "bootrom_verified", "bootrom_factory", "base_unknown",
          "part1_on_the_fly", "part1_done", "rejected")

FACTORY_BOOTLOADER0 = 33080  # SQNS_FACTORY_BOOTLOADER0
APPLICATION_RATE = 921600    # SQNS_APPLICATION_RATE
STP_RETRIES = 4              # SQNS_STP_RETRIES

# ---- the C structures, mirrored (tests/python/test_layout.py checks them against C) ----

_u8, _u16, _u32, _int, _bool = ctypes.c_uint8, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_int, \
    ctypes.c_bool


class _Frame(ctypes.Structure):
    _fields_ = [("op", _u8), ("sid", _u8), ("len", _u16), ("tid", _u32)]


class _Event(ctypes.Structure):
    _fields_ = [("type", _int), ("phase", _int), ("value", _int), ("err", _int),
                ("done", _u32), ("total", _u32), ("text", ctypes.c_void_p),
                ("len", ctypes.c_size_t), ("frame", _Frame)]


_EVENT_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(_Event))
_ABORT_FN = ctypes.CFUNCTYPE(_bool, ctypes.c_void_p)


class _Timeouts(ctypes.Structure):
    _fields_ = [(n, _u32) for n in ("at_ms", "detect_ms", "wake_ms", "stp_ms", "apply_ms",
                                     "stall_ms")]


class _Config(ctypes.Structure):
    _fields_ = [("ops", ctypes.c_void_p), ("port", ctypes.c_void_p), ("on_event", _EVENT_FN),
                ("user", ctypes.c_void_p), ("baud", _u32), ("fast_baud", _u32),
                ("timeouts", _Timeouts), ("should_abort", _ABORT_FN)]


class _ImageInfo(ctypes.Structure):
    _fields_ = [("differential", _bool), ("build", _u32), ("from_", _u32), ("channel", _int),
                ("part", _u8), ("leaves", _u32)]


class _Choice(ctypes.Structure):
    _fields_ = [("why", _int), ("image", _int), ("part2", _int), ("updater", _int),
                ("full", _int), ("recovery", _bool), ("older", _bool)]


class _ReleaseSummary(ctypes.Structure):
    _fields_ = [("problem", _int), ("member", _int), ("other", _int), ("refusal", _int),
                ("build", _u32), ("channel", _int), ("full", _int), ("part1", _int),
                ("part2", _int), ("updater", _int), ("diffs", ctypes.c_uint),
                ("ignored", ctypes.c_uint)]


class _Member(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("size", _u32)]


class _Release(ctypes.Structure):
    _fields_ = [("members", ctypes.POINTER(_Member)), ("count", ctypes.c_size_t),
                ("open", ctypes.c_void_p), ("ctx", ctypes.c_void_p)]


class _Plan(ctypes.Structure):
    _fields_ = [("mode", _int), ("rate", _u32), ("running_build", _u32),
                ("bootloader0", _u32), ("target", _ImageInfo), ("target_known", _bool),
                ("bootrom_step", _bool), ("recovery_step", _bool), ("updater_step", _bool),
                ("fff", _bool), ("resume", _bool), ("forced", _bool), ("overridden", _int),
                ("bootrom_only", _bool), ("channel", _int), ("build_before", _u32),
                ("base_unknown", _bool), ("part2", _ImageInfo), ("part2_step", _bool),
                ("part1_done", _bool), ("bootrom_again", _bool), ("bootrom_pending", _bool),
                ("bootloader0_after", _u32), ("from_release", _bool), ("choice", _Choice)]


class _Result(ctypes.Structure):
    _fields_ = [("stage", _int), ("refusal", _int), ("plan", _Plan), ("mode", _int),
                ("rate", _u32), ("report", ctypes.c_char * 128),  # SQNS_REPORT_MAX
                ("release", _ReleaseSummary)]


# The core's private state lives in opaque room of SQNS_PRIV_SIZE bytes that the
# header reserves: its layout may change without changing struct sqns_ctx.
# _library() checks sqns_ctx_size() against this mirror when it loads.
_PRIV_ROOM = 3072  # SQNS_PRIV_SIZE


class _Ctx(ctypes.Structure):
    _fields_ = [("cfg", _Config), ("res", _Result),
                ("priv", ctypes.c_uint64 * (_PRIV_ROOM // 8))]


class _Image(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("size", _u32), ("read", ctypes.c_void_p),
                ("ctx", ctypes.c_void_p)]


class _UpgradeOpts(ctypes.Structure):
    _fields_ = [("image", ctypes.POINTER(_Image)), ("updater", ctypes.POINTER(_Image)),
                ("bootrom", ctypes.POINTER(_Image)), ("force", _bool), ("dry_run", _bool),
                ("fff", _bool), ("force_fff", _bool), ("part2", ctypes.POINTER(_Image)),
                ("release", ctypes.POINTER(_Release))]


class _PortOpts(ctypes.Structure):
    _fields_ = [("baud", _u32), ("rtscts", _bool), ("connect_ms", _u32)]


# The words (include/sqnsupgrade_words.h): the sentences the command line prints too.
_WORDS_PYTHON = 1  # SQNS_WORDS_PYTHON: commands named as calls, sqnsupgrade.run('PORT', 'FILE')
_WORDS_ERR, _WORDS_OPEN, _WORDS_VERBOSE = 1, 2, 4
_QUOTE_FN = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p)


class _WordsHow(ctypes.Structure):
    _fields_ = [("style", _int), ("port", ctypes.c_char_p), ("quote", _QUOTE_FN)]


class _WordsFiles(ctypes.Structure):
    _fields_ = [("firmware", ctypes.c_char_p), ("updater", ctypes.c_char_p),
                ("bootrom", ctypes.c_char_p), ("part2", ctypes.c_char_p),
                ("firmware_size", _u32), ("updater_size", _u32), ("bootrom_size", _u32),
                ("part2_size", _u32), ("fitting", ctypes.c_char_p), ("baud", _u32),
                ("release", ctypes.c_char_p)]


class _WordsState(ctypes.Structure):
    _fields_ = [("fff", _bool), ("planned", _bool)]


class _WordsFailure(ctypes.Structure):
    _fields_ = [("err", _int), ("silent_ms", _u32), ("port_words", ctypes.c_char_p)]


_P = ctypes.c_void_p  # struct sqns_port *, struct sqns_file *: opaque
_PINT = ctypes.POINTER(_int)
_CTX = ctypes.POINTER(_Ctx)
_SIGNATURES = {
    "sqns_strerror": (ctypes.c_char_p, [_int]),
    "sqns_ctx_size": (ctypes.c_size_t, []),
    "sqns_stp_op_name": (ctypes.c_char_p, [ctypes.c_uint]),
    "sqns_mode_name": (ctypes.c_char_p, [_int]),
    "sqns_init": (_int, [_CTX, ctypes.POINTER(_Config)]),
    "sqns_detect": (_int, [_CTX, _PINT]),
    "sqns_get_mode": (_int, [_CTX, _PINT]),
    "sqns_showver": (_int, [_CTX, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_ati1": (_int, [_CTX, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_imei": (_int, [_CTX, ctypes.c_char_p]),
    "sqns_parse_showver_build": (_bool, [ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.POINTER(_u32)]),
    "sqns_parse_ati1_build": (_bool, [ctypes.c_char_p, ctypes.POINTER(_u32)]),
    "sqns_parse_ati1_channel": (_bool, [ctypes.c_char_p, _PINT]),
    "sqns_channel_name": (ctypes.c_char_p, [_int]),
    "sqns_parse_image_name": (_bool, [ctypes.c_char_p, ctypes.POINTER(_ImageInfo)]),
    "sqns_check_images": (_int, [ctypes.POINTER(_UpgradeOpts), _PINT]),
    "sqns_upgrade": (_int, [_CTX, ctypes.POINTER(_UpgradeOpts), ctypes.c_char_p,
                            ctypes.c_size_t]),
    "sqns_prepare": (_int, [_CTX, ctypes.POINTER(_UpgradeOpts)]),
    "sqns_port_open": (_P, [ctypes.c_char_p, ctypes.POINTER(_PortOpts), _PINT]),
    "sqns_port_config": (None, [_P, ctypes.POINTER(_Config)]),
    "sqns_port_open_error": (ctypes.c_char_p, [ctypes.c_char_p, _int, _int, ctypes.c_char_p,
                                                ctypes.c_size_t]),
    "sqns_port_is_network": (_bool, [_P]),
    "sqns_port_errno": (_int, [_P]),
    "sqns_port_close": (None, [_P]),
    "sqns_port_bridge": (_int, [_P, _P, _ABORT_FN, ctypes.c_void_p]),
    "sqns_file_open": (_P, [ctypes.c_char_p, _PINT, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_bootrom_open": (_P, [ctypes.c_char_p, _PINT, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_file_image": (ctypes.POINTER(_Image), [_P]),
    "sqns_file_path": (ctypes.c_char_p, [_P]),
    "sqns_file_close": (None, [_P]),
    "sqns_release_is": (_bool, [ctypes.c_char_p]),
    "sqns_release_open": (_P, [ctypes.c_char_p, _PINT, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_release_of": (ctypes.POINTER(_Release), [_P]),
    "sqns_release_path": (ctypes.c_char_p, [_P]),
    "sqns_release_close": (None, [_P]),
    "sqns_release_check": (_int, [ctypes.POINTER(_Release), ctypes.POINTER(_ReleaseSummary)]),
    "sqns_host_error": (ctypes.c_char_p, [_int, _int, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_version": (ctypes.c_char_p, []),
    "sqns_words_event": (_int, [ctypes.POINTER(_WordsState), _CTX, ctypes.POINTER(_Event),
                                ctypes.POINTER(_WordsHow), ctypes.POINTER(ctypes.c_uint),
                                ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_welcome": (_int, [ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_wait": (_int, [_int, _int, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_busy": (_int, [_int, ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_plan": (_int, [_CTX, ctypes.POINTER(_WordsFiles), ctypes.POINTER(_WordsHow),
                               ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_refusal": (_int, [_int, ctypes.POINTER(_Plan), _bool,
                                  ctypes.POINTER(_WordsFiles), ctypes.POINTER(_WordsHow),
                                  ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_failure": (_int, [_CTX, ctypes.POINTER(_WordsFailure),
                                  ctypes.POINTER(_WordsFiles), ctypes.POINTER(_WordsHow),
                                  ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_no_modem": (_int, [ctypes.POINTER(_WordsHow), _u32, ctypes.c_char_p,
                                   ctypes.c_size_t]),
    "sqns_words_result": (_int, [_CTX, ctypes.c_char_p, ctypes.POINTER(_WordsFiles),
                                 ctypes.POINTER(_WordsHow), ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_bootrom_pending": (_int, [_CTX, ctypes.POINTER(_WordsFiles),
                                          ctypes.POINTER(_WordsHow), ctypes.c_char_p,
                                          ctypes.c_size_t]),
    "sqns_words_choice": (_int, [_CTX, ctypes.POINTER(_Release), ctypes.c_char_p, _u32,
                                 ctypes.c_char_p, ctypes.c_size_t]),
    "sqns_words_files_from_release": (None, [_CTX, ctypes.POINTER(_Release), ctypes.c_char_p,
                                             ctypes.POINTER(_WordsFiles)]),
    "sqns_words_release_problem": (_int, [ctypes.POINTER(_ReleaseSummary),
                                          ctypes.POINTER(_Release), ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_size_t]),
}

# ---- the library: the module's only shared state, loaded once ----

_load_lock = threading.Lock()
_loaded = []  # [(CDLL, path)] once loaded


# The source tree's build folders, in this order: `make`, scripts/demo.sh, scripts/test.sh.
_TREE_BUILDS = ("build-windows",) if _WINDOWS else ("build", "build-release", "build-test")


def _candidates():
    """(path, where it comes from) for each place the library may be, in order."""
    env = os.environ.get("SQNSUPGRADE_LIB")
    if env:
        yield env, "$SQNSUPGRADE_LIB"
        return
    here = os.path.dirname(os.path.abspath(__file__))
    parent = os.path.dirname(here)
    if _WINDOWS:
        # A copied folder: sqnsupgrade.dll beside the module's files, or beside the module's
        # folder (the Windows zip: sqnsupgrade.exe, sqnsupgrade.dll, sqnsupgrade/).
        yield os.path.join(here, _LIBNAME), "beside the module"
        yield os.path.join(parent, _LIBNAME), "beside the module's folder"
    if os.path.basename(parent) in ("site-packages", "dist-packages"):
        # Installed: PREFIX/lib/pythonX.Y/site-packages/sqnsupgrade -> PREFIX/lib.
        libdir = os.path.normpath(os.path.join(here, "..", "..", ".."))
        yield os.path.join(libdir, _LIBNAME), "next to the installed module"
        multiarch = sysconfig.get_config_var("MULTIARCH")
        if multiarch:
            yield os.path.join(libdir, multiarch, _LIBNAME), "next to the installed module"
    root = os.path.dirname(parent)
    if os.path.basename(parent) == "python" and os.path.exists(
            os.path.join(root, "CMakeLists.txt")):
        # The source tree: python/sqnsupgrade -> build/, build-release/, build-test/.
        for build in _TREE_BUILDS:
            yield os.path.join(root, build, _LIBNAME), "the source tree's %s/" % build
    yield _LIBNAME, "the dynamic loader"


def _open_library():
    tried = []
    for path, where in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s: not there)" % (path, where))
            continue
        try:
            lib = ctypes.CDLL(path, use_errno=True)
        except OSError as e:
            tried.append("%s (%s: %s)" % (path, where, e))
            continue
        missing = [n for n in _SIGNATURES if not hasattr(lib, n)]
        if missing:
            tried.append("%s (%s: too old, no %s)" % (path, where, ", ".join(missing)))
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        if lib.sqns_ctx_size() != ctypes.sizeof(_Ctx):
            tried.append("%s (%s: another version, its context is %d bytes, this module's %d)"
                         % (path, where, lib.sqns_ctx_size(), ctypes.sizeof(_Ctx)))
            continue
        return lib, path
    raise ImportError(
        "sqnsupgrade: cannot load %s. Tried:\n  %s\nBuild it (`make`, or `bash scripts/demo.sh`, "
        "in the source tree), install it (`make install`), or set SQNSUPGRADE_LIB to its path."
        % (_LIBNAME, "\n  ".join(tried)))


def _library():
    if not _loaded:
        with _load_lock:
            if not _loaded:
                _loaded.append(_open_library())
    return _loaded[0][0]


def library_path():
    """The path of the libsqnsupgrade loaded (loading it if needed)."""
    _library()
    return _loaded[0][1]


def __getattr__(name):
    """sqnsupgrade.__version__: the loaded library's sqns_version() (loading it if needed)."""
    if name == "__version__":
        return _library().sqns_version().decode()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def _strerror(err):
    return _library().sqns_strerror(err).decode()


def _mode_name(mode):
    return _library().sqns_mode_name(mode).decode()


# ---- values ----


@dataclasses.dataclass(frozen=True)
class Event:
    """One event of the library (struct sqns_event), for on_event=.

    type: "phase", "progress", "tick", "session", "retry", "at_tx", "at_rx",
    "stp_tx", "stp_rx" or "rate". phase: the phase's name (docs/json.md) for
    "phase" and "tick", else None. value: the phase's value (a build, a rate),
    a tick's seconds, a session's version, a retry's attempt, a rate. err: a
    retry's reason (an sqns_err). done, total: progress bytes (total is a
    session's max transfer too). text: an AT line. frame: (op, sid, len, tid)
    of an STP frame, else None.
    """
    type: str
    phase: Optional[str] = None
    value: int = 0
    err: int = 0
    done: int = 0
    total: int = 0
    text: Optional[str] = None
    frame: Optional[tuple] = None


@dataclasses.dataclass(frozen=True)
class Result:
    """What run() found and did (struct sqns_result, in Python's words).

    stage: where the modem stands: "done" (upgraded), "untouched" (nothing to
    do, or a dry run), or for a failure "upgrade_mode", "transferred",
    "recovery". mode, mode_name: the mode it was found in (2 application, 4
    upgrade...). rate: the line rate at the end.
    old_build / bootloader0: Software and Bootloader0 builds found before (None:
    not read, e.g. from upgrade mode). new_build / bootloader0_after: read at
    the end (None: not read). target_build: the build the file name says
    (None: the name does not say); differential: an upgdiff_ image.
    verified: new_build is the file's build. already_current: the modem ran it
    already, nothing was sent. dry_run: only planned.
    The plan: fff (stored method), resumed (found in upgrade mode),
    bootrom_step and updater_step (the recovery method's steps), forced (a
    refusal overridden by force=). bootrom_again: the boot ROM was sent once
    more, stored, after the firmware; bootrom_pending: Bootloader0 still reads
    33080, the factory's: run again with bootrom= to finish (the firmware
    itself is fine). showver: the final SYSTEM VERSION block ("" when not read).
    A Result is true, as run()'s True was.
    """
    stage: str
    mode: int
    mode_name: str
    rate: int
    old_build: Optional[int]
    new_build: Optional[int]
    target_build: Optional[int]
    differential: bool
    verified: bool
    already_current: bool
    dry_run: bool
    fff: bool
    resumed: bool
    bootrom_step: bool
    updater_step: bool
    bootloader0: Optional[int]
    bootloader0_after: Optional[int]
    bootrom_again: bool
    bootrom_pending: bool
    forced: bool
    showver: str
    # From a release (run(port, 'CATM1-39529.zip') or its folder): why the image was chosen
    # ("diff", "full", "full_unread", "switch", "diff_only", "parts", "current") and the
    # members chosen, as the archive names them (None: none, or not from a release).
    choice: Optional[str] = None
    image: Optional[str] = None
    updater: Optional[str] = None
    part2: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class Info:
    """info(): the mode, and in application mode the version (ATI1) and IMEI.
    str() is what info() prints."""
    mode: int
    mode_name: str
    build: Optional[int]
    ati1: Optional[str]
    imei: Optional[str]
    text: str
    channel: Optional[str] = None  # "CAT-M1" or "NB-IoT", from ATI1's LR line

    def __str__(self):
        return self.text


@dataclasses.dataclass(frozen=True)
class Version:
    """version(): the SYSTEM VERSION block (AT!="showver"). fields maps each
    line's name ("Bootloader0", "Software"; the '*' of the active bootloader
    dropped) to its value; software and bootloader0 are their builds.
    str() is the block."""
    text: str
    software: Optional[int]
    bootloader0: Optional[int]
    fields: Dict[str, str]

    def __str__(self):
        return self.text


class SqnsupgradeError(Exception):
    """A call failed. str(e) is the message: what failed, the modem's state
    and what to do.

    status: the command line's exit status for it (README.md, "Exit
    statuses": 3 file, 4 port, 5 no modem, 6 transfer, 7 rejected, 8
    interrupted, 9 mode, 10 refused, 11 verify...). err: the library's
    sqns_err (negative; 0 when the library was not asked), error: its name
    ("timeout"...). refusal: why a safety check refused ("diff_wrong_base"...)
    or None. stage: where the modem stands ("untouched", "upgrade_mode",
    "transferred", "done", "recovery") or None when no modem was reached;
    modem_state: that in words. mode: the mode last read, or None.
    os_errno: the OS error of a port or a file, or None. result: run()'s
    Result so far (the plan, the builds found), or None.
    """

    def __init__(self, message, status, err=0, refusal=None, stage=None, modem_state=None,
                 mode=None, os_errno=None, result=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.err = err
        self.error = ERRORS.get(err, str(err))
        self.refusal = refusal
        self.stage = stage
        self.modem_state = modem_state
        self.mode = mode
        self.os_errno = os_errno
        self.result = result


def _status_for(err):
    return _STATUS.get(err, EXIT_FAIL)


def _optional(build):
    return build or None


# ---- the console: the transcript Pycom's instructions show ----


class _Transcript:
    """Prints what Pycom's instructions show for the events of one call (not thread-shared)."""

    BUSY_HINT_S = 3   # seconds of STP silence before "The modem is busy"
    BUSY_REPEAT_S = 30
    WAIT_HINT_S = 10  # seconds of an AT wait before its hint

    class _Null:
        """Where state() and imei() print: nowhere (their debug= lines go to stderr)."""

        def write(self, text):
            pass

        def flush(self):
            pass

    def __init__(self, call, verbose, debug, show=True):
        self.call = call
        self.out = sys.stdout if show else self._Null()
        self.err = sys.stderr
        self.verbose = verbose
        self.debug = debug
        self.tty = self._isatty(self.out)
        self.line_open = False  # the last line printed is not ended yet
        self.bar_open = False   # ... and it is the progress bar, redrawn in place
        self.shown = -1   # the percent last drawn
        self.fff = False
        self.last_progress = 0.0  # time.monotonic() of the last progress event
        self.busy_next = None     # the STP silence (s) of the next busy line; None: none yet
        self.tick_phase = None    # the AT wait under way, its seconds, its hint said
        self.tick_seconds = 0
        self.tick_said = False
        self.words = _WordsState()

    @staticmethod
    def _isatty(f):
        try:
            return f.isatty()
        except (AttributeError, ValueError):
            return False

    def write(self, text, err=False):
        f = self.err if err else self.out
        if f is None:
            return
        if self.line_open:
            self.out.write("\n")
            self.line_open = self.bar_open = False
        f.write(text)
        f.flush()

    def say(self, line, err=False):
        self.write(line + "\n", err)

    def block(self, text):
        self.write(text if text.endswith("\n") or not text else text + "\n")

    def event(self, ev):
        t = ev.type
        if t == EV_PHASE:
            self.tick_phase = None
            self.words_of(ev)
        elif t == EV_PROGRESS:
            self.progress(ev.done, ev.total)
        elif t == EV_TICK:
            self.tick(ev.phase, ev.value)
        elif t == EV_SESSION:
            self.shown = -1
            self.words_of(ev)
        elif t == EV_RETRY:
            self.words_of(ev)
            if self.debug:
                self.say("[stp] answer invalid (%s): retry %d" % (_strerror(ev.err), ev.value),
                         err=True)
        elif self.debug:
            self.trace(ev)

    def trace(self, ev):
        t = ev.type
        if t in (EV_AT_TX, EV_AT_RX):
            self.say("[at] %s %s" % (">" if t == EV_AT_TX else "<", _event_text(ev)), err=True)
        elif t in (EV_STP_TX, EV_STP_RX):
            f = ev.frame
            op = _library().sqns_stp_op_name(f.op).decode()
            rx = t == EV_STP_RX
            self.say("[stp] %s %s%s sid=%u tid=%u len=%u" % (
                "<" if rx else ">", op, " (answer)" if rx else "", f.sid, f.tid, f.len), err=True)
        elif t == EV_RATE:
            self.say("[port] rate %d" % ev.value, err=True)

    def words_of(self, ev):
        """The library's words for a phase, a session or a retry."""
        buf, flags = ctypes.create_string_buffer(4096), ctypes.c_uint(0)
        _library().sqns_words_event(ctypes.byref(self.words), ctypes.byref(self.call.ctx),
                                    ctypes.byref(ev), ctypes.byref(self.call.how()),
                                    ctypes.byref(flags), buf, len(buf))
        self.fff = bool(self.words.fff)
        text = buf.value.decode(errors="replace")
        if not text or (flags.value & _WORDS_VERBOSE and not self.verbose):
            return
        self.write(text, err=bool(flags.value & _WORDS_ERR))
        if flags.value & _WORDS_OPEN:
            self.line_open = True

    def progress(self, done, total):
        pct = done * 100 // total if total else 100
        self.last_progress = time.monotonic()
        self.busy_next = None
        if pct == self.shown:
            return
        if not self.tty and self.shown >= 0 and pct // 10 == self.shown // 10:
            return  # a log: one line per 10 %
        self.shown = pct
        fill = done * 40 // total if total else 40
        line = "Sending %u bytes: [%s%s] %3d%%" % (total, "#" * fill, " " * (40 - fill), pct)
        if not self.tty:
            self.say(line)
            return
        # A terminal: one line redrawn in place, ended at 100 %.
        if self.line_open and not self.bar_open:
            self.write("")
        self.out.write("\r" + line + ("\n" if pct >= 100 else ""))
        self.out.flush()
        self.line_open = self.bar_open = pct < 100

    def tick(self, code, seconds):
        name = PHASES[code] if 0 <= code < len(PHASES) else None
        if name == "stp_wait":
            if self.shown < 0 or self.shown >= 100:
                return
            # The silence since the last progress, on the clock: the core's count of
            # seconds starts again when a request is resent.
            silent = time.monotonic() - self.last_progress
            if self.busy_next is None and silent >= self.BUSY_HINT_S:
                self.busy_next = self.BUSY_REPEAT_S
                self.write(_words(_library().sqns_words_busy, 0))
            elif self.busy_next is not None and silent >= self.busy_next:
                self.write(_words(_library().sqns_words_busy, self.busy_next))
                self.busy_next += self.BUSY_REPEAT_S
            return
        if name == "resetting":
            self.out.write(".")
            self.out.flush()
            return
        if name != self.tick_phase or seconds < self.tick_seconds:  # another wait
            self.tick_phase, self.tick_said = name, False
        self.tick_seconds = seconds
        if self.tick_said or seconds < self.WAIT_HINT_S:
            return
        self.tick_said = True
        self.write(_words(_library().sqns_words_wait, code, seconds))


# ---- one call: its context, port, files and callbacks ----


def _seconds_to_ms(timeouts):
    t = _Timeouts()
    for key, value in (timeouts or {}).items():
        field = key[:-3] if key.endswith("_ms") else key
        if field not in ("at", "detect", "wake", "stp", "apply", "stall"):
            raise TypeError("timeouts: unknown key %r (at, detect, wake, stp, apply, stall)" % key)
        setattr(t, field + "_ms", int(value if key.endswith("_ms") else value * 1000))
    return t


class _Call:
    """What one call owns: a context, a port, files, its callbacks (kept alive here)."""

    def __init__(self, port, baud=None, fc=False, progress=None, on_event=None, cancel=None,
                 quiet=False, verbose=False, debug=False, timeouts=None, show=True):
        self.lib = _library()
        self.port_name = port
        rate = int(baud) if baud else APPLICATION_RATE
        self.baud = min(rate, APPLICATION_RATE)
        self.fast_baud = rate if rate > APPLICATION_RATE else 0
        self.fc = fc
        self.timeouts = _seconds_to_ms(timeouts)
        self.progress = progress
        self.on_event = on_event
        self.cancel = cancel
        self.ctx = _Ctx()
        self.port = None
        self.files = []
        self.sizes = {}          # transfer total -> "firmware", "updater", "bootrom"
        self.step = "firmware"   # the transfer under way, from the phases
        self.exc = None          # an exception from a callback: raised after the C call
        self.sigint = None       # (signum, frame) of a Ctrl-C during the C call
        self.cancelled = False
        self.already_current = False
        self.release_file = None  # sqns_release_open's, closed with the call
        self.release = None       # its struct sqns_release *
        self.release_name = None
        self.before = None       # (running_build, bootloader0) when the plan was made
        # show=False: only the verbose= and debug= lines, on stderr
        self.transcript = None if quiet else _Transcript(self, verbose, debug, show)
        self._event_fn = _EVENT_FN(self._event)
        self._abort_fn = _ABORT_FN(self._abort)

    # callbacks: never let an exception into ctypes; remember it, stop, raise it later

    def _event(self, _user, evp):
        if self.exc is not None:
            return
        try:
            ev = evp.contents
            if ev.type == EV_PHASE:
                self._track(ev.phase)
            if self.transcript:
                self.transcript.event(ev)
                if ev.type == EV_PHASE and self.release is not None and \
                        PHASES[ev.phase] in ("plan", "already_current"):
                    self.transcript.block(_words(
                        self.lib.sqns_words_choice, ctypes.byref(self.ctx), self.release,
                        self.release_name, self.baud))
            if ev.type == EV_PROGRESS and self.progress is not None:
                self.progress(ev.done, ev.total, self._step_of(ev.total))
            if self.on_event is not None:
                self.on_event(_event_value(ev))
        except BaseException as e:  # KeyboardInterrupt too: the core stops cleanly first
            self.exc = e

    def _abort(self, _user):
        if self.exc is not None:
            return True
        try:
            if self.cancel is not None and self.cancel.is_set():
                self.cancelled = True
            return self.cancelled or self.sigint is not None
        except BaseException as e:
            self.exc = e
            return True

    def _track(self, code):
        name = PHASES[code] if 0 <= code < len(PHASES) else None
        if name in ("stp_bootrom", "bootrom_again"):
            self.step = "bootrom"
        elif name == "negotiate":
            self.step = "updater"
        elif name in ("stp_on_the_fly", "stp_fff") and self.step != "bootrom":
            self.step = "firmware"
        elif name in ("updater_done", "bootrom_done", "completed"):
            self.step = "firmware"
        if name == "already_current":
            self.already_current = True
        if name in ("plan", "already_current"):
            p = self.ctx.res.plan
            self.before = (p.running_build, p.bootloader0)

    def _step_of(self, total):
        names = [n for n, size in self.sizes.items() if size == total]
        return names[0] if len(names) == 1 else self.step

    # files, port, context

    def open_file(self, path, what, bootrom=False):
        err, why = _int(0), ctypes.create_string_buffer(1024)
        opener = self.lib.sqns_bootrom_open if bootrom else self.lib.sqns_file_open
        f = opener(os.fsencode(str(path)), ctypes.byref(err), why, len(why))
        if not f:
            errno = ctypes.get_errno()
            text = why.value.decode(errors="replace") or "cannot open the %s '%s': %s" % (
                what, path, _strerror(err.value))
            status = EXIT_REFUSED if err.value == SQNS_ERR_REFUSED else EXIT_FILE
            raise SqnsupgradeError(text, status, err.value,
                                   refusal="bootrom_not_upgr" if status == EXIT_REFUSED else None,
                                   os_errno=errno or None)
        self.files.append(f)
        image = self.lib.sqns_file_image(f)
        self.sizes[what] = image.contents.size
        return image

    def open_release(self, path):
        """An archive or a folder, read through the library (never unpacked)."""
        err, why = _int(0), ctypes.create_string_buffer(1200)
        rf = self.lib.sqns_release_open(os.fsencode(path), ctypes.byref(err), why, len(why))
        if not rf:
            errno = ctypes.get_errno()
            raise SqnsupgradeError(why.value.decode(errors="replace"), EXIT_FILE, err.value,
                                   os_errno=errno or None)
        self.release_file = rf
        self.release = self.lib.sqns_release_of(rf)
        self.release_name = os.fsencode(path)

    def open_port(self):
        name = self.port_name
        if not name:
            raise SqnsupgradeError("no port given: pass the port (e.g. '/dev/ttyUSB0') or set "
                                   "SQNSUPGRADE_PORT", EXIT_USAGE, SQNS_ERR_ARG)
        self.port = self.open_one(name, self.baud)
        cfg = _Config(on_event=self._event_fn, baud=self.baud, fast_baud=self.fast_baud,
                      timeouts=self.timeouts, should_abort=self._abort_fn)
        self.lib.sqns_port_config(self.port, ctypes.byref(cfg))
        r = self.lib.sqns_init(ctypes.byref(self.ctx), ctypes.byref(cfg))
        if r != SQNS_OK:
            raise SqnsupgradeError("internal error: the library refused the configuration: %s"
                                   % _strerror(r), EXIT_FAIL, r)

    def open_one(self, name, baud):
        opts = _PortOpts(baud=baud, rtscts=bool(self.fc))
        err = _int(0)
        port = self.lib.sqns_port_open(os.fsencode(str(name)), ctypes.byref(opts),
                                       ctypes.byref(err))
        if port:
            return port
        errno = ctypes.get_errno()
        if err.value == SQNS_ERR_ARG:
            raise SqnsupgradeError(_port_message(name, errno, err.value), EXIT_USAGE, err.value)
        raise SqnsupgradeError(_port_message(name, errno, err.value), EXIT_PORT, err.value,
                               os_errno=errno or None)

    def is_network(self):
        return bool(self.lib.sqns_port_is_network(self.port))

    def close(self):
        if self.port:
            self.lib.sqns_port_close(self.port)
            self.port = None
        while self.files:
            self.lib.sqns_file_close(self.files.pop())
        if self.release_file:
            self.lib.sqns_release_close(self.release_file)
            self.release_file = self.release = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def invoke(self, fn, *args):
        """fn(*args) in the library, then an exception of a callback raised here.

        Ctrl-C in the main thread meanwhile is deferred: Python runs signal
        handlers on entering the next callback, where an exception would be
        lost, so for the call's duration the SIGINT handler only notes the
        signal and makes should_abort answer true; once the library has closed
        the session, Python's handler is put back and run (KeyboardInterrupt).
        """
        old = self._defer_sigint()
        try:
            r = fn(*args)
        finally:
            if old is not None:
                signal.signal(signal.SIGINT, old)
        if self.sigint is not None:
            pending, self.sigint = self.sigint, None
            old(*pending)
        if self.exc is not None:
            exc, self.exc = self.exc, None
            raise exc
        return r

    def _defer_sigint(self):
        if threading.current_thread() is not threading.main_thread():
            return None
        try:
            old = signal.getsignal(signal.SIGINT)
            if not callable(old):
                return None  # SIG_IGN, SIG_DFL or not set from Python: left as it is

            def note(signum, frame):
                if self.sigint is None:
                    self.sigint = (signum, frame)

            signal.signal(signal.SIGINT, note)
        except ValueError:  # not the main interpreter
            return None
        return old

    def how(self):
        """How the words name a command: a call of this module, on this port."""
        port = self.port_name
        self._how = _WordsHow(style=_WORDS_PYTHON,
                              port=os.fsencode(str(port)) if port is not None else None)
        return self._how

    def words_files(self, files, fitting=None):
        """The run's files for the words (paths and sizes), the fitting one when known."""
        enc = (lambda v: os.fsencode(v) if v is not None else None)
        self._words_files = _WordsFiles(
            firmware=enc(files.get("firmware")), updater=enc(files.get("updater")),
            bootrom=enc(files.get("bootrom")), part2=enc(files.get("part2")),
            firmware_size=self.sizes.get("firmware", 0),
            updater_size=self.sizes.get("updater", 0),
            bootrom_size=self.sizes.get("bootrom", 0), part2_size=self.sizes.get("part 2", 0),
            fitting=enc(fitting), baud=self.baud)
        if self.release is not None:  # the members chosen, and commands name the release
            self.lib.sqns_words_files_from_release(ctypes.byref(self.ctx), self.release,
                                                   self.release_name,
                                                   ctypes.byref(self._words_files))
            if not self._words_files.firmware:
                self._words_files.firmware = self.release_name
        return self._words_files

    def say(self, text):
        if self.transcript:
            self.transcript.say(text)

    def block(self, text):
        if self.transcript:
            self.transcript.block(text)

    def mode(self):
        return self.ctx.res.mode if self.port else None


def _event_text(ev):
    return ctypes.string_at(ev.text, ev.len).decode(errors="replace") if ev.len else ""


def _event_value(ev):
    t = EVENT_TYPES[ev.type] if 0 <= ev.type < len(EVENT_TYPES) else str(ev.type)
    phase = PHASES[ev.phase] if t in ("phase", "tick") and 0 <= ev.phase < len(PHASES) else None
    text = _event_text(ev) if t in ("at_tx", "at_rx") else None
    frame = None
    if t in ("stp_tx", "stp_rx"):
        frame = (ev.frame.op, ev.frame.sid, ev.frame.len, ev.frame.tid)
    return Event(t, phase, ev.value, ev.err, ev.done, ev.total, text, frame)


def _port_message(name, errno, err):
    buf = ctypes.create_string_buffer(1024)
    return _library().sqns_port_open_error(os.fsencode(str(name)), err, errno, buf,
                                           len(buf)).decode(errors="replace")


# ---- the words, from the library ----

def _words(fn, *args, size=16384):
    """The text a sqns_words_* function writes (its buffer arguments last)."""
    buf = ctypes.create_string_buffer(size)
    fn(*args, buf, len(buf))
    return buf.value.decode(errors="replace")


def _fitting_file(ffile, running, to):
    """The release file beside ffile for a modem on build running: upgdiff_RUNNING-to-TO.dup,
    else the full image of TO; None when the folder holds neither."""
    folder = os.path.dirname(ffile) or "."
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    full = None
    for name in names:
        i = _ImageInfo()
        if not _library().sqns_parse_image_name(os.fsencode(name), ctypes.byref(i)):
            continue
        if i.build != to or i.part:
            continue
        path = name if not os.path.dirname(ffile) else os.path.join(folder, name)
        if i.differential and running and i.from_ == running:
            return path
        if not i.differential and full is None:
            full = path
    return full


def _refusal_message(call, why, plan, files, modem_seen):
    fitting = None
    if why == REFUSALS.index("diff_wrong_base") and files.get("firmware"):
        fitting = _fitting_file(files["firmware"], plan.running_build, plan.target.build)
    return _words(call.lib.sqns_words_refusal, why, ctypes.byref(plan), modem_seen,
                  ctypes.byref(call.words_files(files, fitting)),
                  ctypes.byref(call.how())).rstrip("\n")


def _result(call, showver="", dry_run=False):
    res = call.ctx.res
    p = res.plan
    # The builds found: noted when the plan was made (later they are the new ones), or as
    # a refusal left them.
    before = call.before or (p.running_build, p.bootloader0)
    stage = STAGES[res.stage] if 0 <= res.stage < len(STAGES) else str(res.stage)
    done = stage == "done"
    return Result(
        stage=stage, mode=p.mode if call.before else res.mode,
        mode_name=MODES.get(p.mode if call.before else res.mode, "unknown"), rate=res.rate,
        old_build=_optional(before[0]), new_build=_optional(p.running_build) if done else None,
        target_build=_optional(p.target.build) if p.target_known else None,
        differential=bool(p.target.differential),
        verified=done and p.target_known and p.running_build == p.target.build,
        already_current=call.already_current, dry_run=dry_run, fff=bool(p.fff),
        resumed=bool(p.resume),
        bootrom_step=bool(p.bootrom_step), updater_step=bool(p.updater_step),
        bootloader0=_optional(before[1]), bootloader0_after=_optional(p.bootloader0_after),
        bootrom_again=bool(p.bootrom_again), bootrom_pending=bool(p.bootrom_pending),
        forced=bool(p.forced), showver=showver, **_chosen(call))


def _chosen(call):
    """Result's fields of a release's choice, by the members' names."""
    p = call.ctx.res.plan
    if call.release is None or not p.from_release:
        return {}
    rel = call.release.contents

    def name(i):
        return rel.members[i].name.decode(errors="replace") if 0 <= i < rel.count else None

    c = p.choice
    return {"choice": CHOICES[c.why] if 0 <= c.why < len(CHOICES) else str(c.why),
            "image": name(c.image), "updater": name(c.updater), "part2": name(c.part2)}


# ---- run ----


def _part2_path(ffile):
    """Part 2 of a two-part release beside part 1 (NAME-1.dup -> NAME-2.dup), or None."""
    info = _ImageInfo()
    _library().sqns_parse_image_name(os.fsencode(os.path.basename(ffile)), ctypes.byref(info))
    if info.part != 1 or not ffile[:-4].endswith("-1"):
        return None
    return ffile[:-6] + "-2" + ffile[-4:]


def _looks_like_board_form(first, second):
    # run(dup, elf) on the board: the first is a file and the second an ELF
    # file name, where run(port, dup) has a port (never a regular file) first.
    return str(second).lower().endswith(".elf") and os.path.isfile(str(first))


def run(port, ffile=None, mfile=None, resume=False, debug=False, verbose=False, load_fff=False,
        *, fc=False, force_fff=False, baud=None, baudrate=None, force=False, dry_run=False,
        bootrom=None, progress: Optional[Callable[[int, int, str], None]] = None,
        on_event: Optional[Callable[[Event], None]] = None, cancel=None, quiet=False,
        timeouts=None) -> Result:
    """Upgrade the modem's firmware: run(port, ffile[, mfile]) -> Result.

    ffile: the firmware (NAME-BUILD.dup or upgdiff_FROM-to-TO.dup); mfile:
    updater.elf for the recovery method. run(ffile) and run(ffile, mfile) take
    the port from $SQNSUPGRADE_PORT (the board's forms).
    resume: accepted as Pycom's instructions pass it; a modem found in upgrade mode is always
    resumed. load_fff / force_fff: store the image first, then apply it (up to
    4 MiB / whatever its size). fc: RTS/CTS flow control. baud (or baudrate):
    the line rate; above 921600 the transfer's rate, negotiated. force:
    override a refused differential base or factory boot ROM. dry_run: detect
    and plan only. bootrom: the boot ROM file (raw, or Pycom's sqnsbr.py /
    sqnsbrz.py) for a modem with the factory one.
    progress(done, total, step): each acknowledged block of a transfer, bytes;
    step is "firmware", "updater" or "bootrom"; done grows to total for each.
    on_event(Event): every event of the library. cancel: a threading.Event;
    once set, the upgrade stops cleanly (status 8). quiet: print nothing.
    timeouts: {"at", "detect", "wake", "stp", "apply", "stall"} in seconds.
    verbose / debug: retries / the wire, on stderr.
    ffile may be a release instead: Pycom's archive (CATM1-39529.zip) or the
    folder it was unpacked into; the library then reads it (never unpacked
    to disk), detects the modem and chooses the image (a differential one
    from the build the modem runs, else the full one; both parts of a
    two-part release) and the method (its updater.elf when the modem needs
    the recovery method): mfile is then not given. Result.choice and
    Result.image say what was chosen.
    Raises SqnsupgradeError; returns a Result (stage "done", verified...).
    """
    if ffile is None:
        port, ffile = None, port  # run(dup): the board-side form
    elif mfile is None and _looks_like_board_form(port, ffile):
        port, ffile, mfile = None, port, ffile  # run(dup, elf)
    if port is None:
        port = os.environ.get("SQNSUPGRADE_PORT")
    ffile = os.fspath(ffile)
    mfile = os.fspath(mfile) if mfile is not None else None
    with _Call(port, baud if baud is not None else baudrate, fc, progress, on_event, cancel,
               quiet, verbose, debug, timeouts) as call:
        files = {"port": port, "firmware": ffile, "updater": mfile,
                 "bootrom": os.fspath(bootrom) if bootrom is not None else None}
        opts = _UpgradeOpts(force=force, dry_run=dry_run, fff=load_fff or force_fff,
                            force_fff=force_fff)
        if call.lib.sqns_release_is(os.fsencode(ffile)) or ffile.lower().endswith(".zip"):
            return _run_release(call, opts, files)
        opts.image = call.open_file(ffile, "firmware")
        if mfile is not None:
            opts.updater = call.open_file(mfile, "updater")
        if bootrom is not None:
            opts.bootrom = call.open_file(bootrom, "bootrom", bootrom=True)
        part2 = _part2_path(ffile)
        if part2 is not None and os.path.exists(part2):
            opts.part2 = call.open_file(part2, "part 2")  # sent next, in the same run
            files["part2"] = part2
        # Every check the files allow, before the port is even opened.
        why = _int(0)
        r = call.lib.sqns_check_images(ctypes.byref(opts), ctypes.byref(why))
        if r == SQNS_ERR_REFUSED:
            plan = _Plan()
            call.lib.sqns_parse_image_name(os.fsencode(os.path.basename(ffile)),
                                           ctypes.byref(plan.target))
            name = REFUSALS[why.value]
            raise SqnsupgradeError(_refusal_message(call, why.value, plan, files, False),
                                   EXIT_REFUSED, r, refusal=name)
        if r != SQNS_OK:
            raise SqnsupgradeError("cannot read the firmware files: %s" % _strerror(r),
                                   EXIT_FILE, r)
        if mfile is not None and port and str(port).startswith("socket://"):
            raise SqnsupgradeError(
                "the recovery method moves the modem from 115200 to %u baud, which a raw "
                "socket:// connection cannot do; use the serial port itself" % call.baud,
                EXIT_USAGE, SQNS_ERR_UNSUPPORTED)
        call.open_port()
        call.block(_words(call.lib.sqns_words_welcome))
        showver = ctypes.create_string_buffer(4096)
        r = call.invoke(call.lib.sqns_upgrade, ctypes.byref(call.ctx), ctypes.byref(opts),
                        showver, len(showver))
        text = showver.value.decode(errors="replace")
        result = _result(call, text if call.ctx.res.stage == STAGES.index("done") else "",
                         dry_run)
        if r != SQNS_OK:
            raise _run_error(call, r, result, files)
        _finish_run(call, result, files)
        return result


def _run_release(call, opts, files):
    """run() of a release: checked before the port opens, then the library chooses."""
    path = files["firmware"]
    if files["updater"] is not None:
        raise SqnsupgradeError(
            "'%s' is a release: it holds updater.elf itself, so give it alone: "
            "sqnsupgrade.run(%r, %r)" % (path, files["port"], path), EXIT_USAGE, SQNS_ERR_ARG)
    call.open_release(path)
    files["firmware"] = None  # the words name the members chosen, and the release
    summary = _ReleaseSummary()
    r = call.lib.sqns_release_check(call.release, ctypes.byref(summary))
    if r != SQNS_OK:
        problem = RELEASE_PROBLEMS[summary.problem] if r == SQNS_ERR_REFUSED else None
        if problem:
            text = _words(call.lib.sqns_words_release_problem, ctypes.byref(summary),
                          call.release, call.release_name).rstrip("\n")
        else:
            text = "'%s' cannot be read as a release" % path
        refused = problem in ("not_firmware", "updater_not_elf")
        raise SqnsupgradeError(text, EXIT_REFUSED if refused else EXIT_FILE, r,
                               refusal="release" if problem else None)
    opts.release = call.release
    if files["bootrom"] is not None:
        opts.bootrom = call.open_file(files["bootrom"], "bootrom", bootrom=True)
    call.open_port()
    call.block(_words(call.lib.sqns_words_welcome))
    showver = ctypes.create_string_buffer(4096)
    r = call.invoke(call.lib.sqns_upgrade, ctypes.byref(call.ctx), ctypes.byref(opts), showver,
                    len(showver))
    text = showver.value.decode(errors="replace")
    result = _result(call, text if call.ctx.res.stage == STAGES.index("done") else "",
                     opts.dry_run)
    if r == SQNS_ERR_REFUSED and call.ctx.res.refusal == REFUSALS.index("release"):
        summary = call.ctx.res.release  # changed since it was checked
        text = _words(call.lib.sqns_words_release_problem, ctypes.byref(summary),
                      call.release, call.release_name).rstrip("\n")
        raise SqnsupgradeError(text, EXIT_FILE, r, refusal="release", stage=result.stage,
                               result=result)
    if r != SQNS_OK:
        raise _run_error(call, r, result, files)
    _finish_run(call, result, files)
    return result


def _run_error(call, r, result, files):
    res = call.ctx.res
    mode = res.mode if res.mode >= 0 else None
    if r == SQNS_ERR_REFUSED:
        name = REFUSALS[res.refusal]
        return SqnsupgradeError(_refusal_message(call, res.refusal, res.plan, files, True),
                                EXIT_REFUSED, r, refusal=name, stage=result.stage,
                                modem_state="Nothing was changed on the modem.", mode=mode,
                                result=result)
    errno = call.lib.sqns_port_errno(call.port) if r == SQNS_ERR_IO else 0
    port_words = None
    if r == SQNS_ERR_IO:
        port_words = "The port '%s' failed: %s (unplugged?)." % (
            files["port"], os.strerror(errno) if errno else "no answer")
    p = res.plan
    fitting = None
    if r == SQNS_ERR_REJECTED and call.release is None:
        on_part2 = p.part1_done and files.get("part2")
        t = p.part2 if p.part1_done else p.target
        fitting = _fitting_file(files["part2"] if on_part2 else files["firmware"],
                                p.running_build if result.stage == "untouched" else 0, t.build)
    silent = 0
    t = call.transcript
    if t is not None and t.shown >= 0 and t.shown < 100:
        silent = int((time.monotonic() - t.last_progress) * 1000)
    fail = _WordsFailure(err=r, silent_ms=silent,
                         port_words=port_words.encode() if port_words else None)
    text = _words(call.lib.sqns_words_failure, ctypes.byref(call.ctx), ctypes.byref(fail),
                  ctypes.byref(call.words_files(files, fitting)), ctypes.byref(call.how()))
    text = text.rstrip("\n")
    if text.startswith("sqnsupgrade: "):
        text = text[len("sqnsupgrade: "):]
    words = text.split("\n", 1)[1] if "\n" in text else ""
    return SqnsupgradeError(text, _status_for(r), r, stage=result.stage,
                            modem_state=words, mode=mode, os_errno=errno or None, result=result)


def _finish_run(call, result, files):
    """The transcript's last lines: the version, the verdict, the boot ROM's."""
    if call.transcript is None:
        return
    wfiles, how = call.words_files(files), call.how()
    if result.dry_run:
        if call.transcript.words.planned:  # not when there is nothing to do
            call.block(_words(call.lib.sqns_words_plan, ctypes.byref(call.ctx),
                              ctypes.byref(wfiles), ctypes.byref(how)))
        return
    text = _words(call.lib.sqns_words_result, ctypes.byref(call.ctx),
                  result.showver.encode() if result.stage == "done" else None,
                  ctypes.byref(wfiles), ctypes.byref(how))
    if text:
        call.transcript.write(text)
    pending = _words(call.lib.sqns_words_bootrom_pending, ctypes.byref(call.ctx),
                     ctypes.byref(wfiles), ctypes.byref(how))
    if pending:
        call.transcript.write(pending, err=True)


# ---- queries ----


def _detect(call):
    """Open the port and find the modem; its mode, or SqnsupgradeError."""
    call.open_port()
    mode = _int(-1)
    r = call.invoke(call.lib.sqns_detect, ctypes.byref(call.ctx), ctypes.byref(mode))
    if r == SQNS_ERR_NO_MODEM:
        text = _words(call.lib.sqns_words_no_modem, ctypes.byref(call.how()), call.baud)
        raise SqnsupgradeError(text.rstrip("\n"), EXIT_NO_MODEM, r, stage="untouched")
    if r != SQNS_OK:
        raise _query_error(call, "cannot read the modem's mode", r)
    return mode.value


def _query_error(call, what, r):
    text = "%s: %s" % (what, "interrupted" if r == SQNS_ERR_ABORTED else _strerror(r))
    if r == SQNS_ERR_IO:
        text += " (the port '%s' failed: unplugged?)" % call.port_name
    return SqnsupgradeError(text, _status_for(r), r, stage="untouched", mode=call.mode())


def _need_application(call, mode, what):
    if mode != MODE_APPLICATION:
        raise SqnsupgradeError(
            "the modem is in %s mode (%d); %s() needs application mode (2). "
            "sqnsupgrade.info() says what to do." % (MODES.get(mode, "unknown"), mode, what),
            EXIT_STATE, SQNS_ERR_STATE, stage="untouched", mode=mode)


def _text_query(call, fn, what, size=4096):
    buf = ctypes.create_string_buffer(size)
    r = call.invoke(fn, ctypes.byref(call.ctx), buf, len(buf))
    if r != SQNS_OK:
        raise _query_error(call, "%s failed" % what, r)
    return buf.value.decode(errors="replace")


def _imei(call):
    buf = ctypes.create_string_buffer(16)
    r = call.invoke(call.lib.sqns_imei, ctypes.byref(call.ctx), buf)
    if r != SQNS_OK:
        raise _query_error(call, "imei failed", r)
    return buf.value.decode()


def _query_call(port, verbose, debug, fc, baud, quiet, timeouts, cancel, on_event, show=True):
    if port is None:
        port = os.environ.get("SQNSUPGRADE_PORT")
    return _Call(port, baud, fc, None, on_event, cancel, quiet, verbose, debug, timeouts, show)


_INFO_WORDS = {
    MODE_MTOOLS: "Your modem is in mTools mode.",
    MODE_RECOVERY: "Your modem is in recovery mode! Use firmware.dup and updater.elf to flash "
                   "new firmware.",
}


def info(port=None, verbose=False, debug=False, *, fc=False, baud=None, quiet=False,
         timeouts=None, cancel=None, on_event=None) -> Info:
    """Say which mode the modem is in and, in application mode, its version
    (ATI1) and IMEI: prints Pycom's tool's sentences (unless quiet) and
    returns an Info."""
    with _query_call(port, verbose, debug, fc, baud, quiet, timeouts, cancel, on_event) as call:
        try:
            mode = _detect(call)
        except SqnsupgradeError as e:
            if e.status == EXIT_NO_MODEM:
                call.say("Cannot determine modem state!")
            raise
        ati1 = imei_ = build = channel = None
        if mode == MODE_APPLICATION:
            ati1 = _text_query(call, call.lib.sqns_ati1, "info", 1024)
            imei_ = _imei(call)
            b, ch = _u32(0), _int(0)
            if call.lib.sqns_parse_ati1_build(ati1.encode(), ctypes.byref(b)):
                build = b.value
            if call.lib.sqns_parse_ati1_channel(ati1.encode(), ctypes.byref(ch)):
                channel = call.lib.sqns_channel_name(ch.value).decode()
            text = ("Your modem is in application mode. Here is the current version:\n%s%s"
                    "%sIMEI: %s\n" % (ati1, "" if ati1.endswith("\n") else "\n",
                                      "Channel: %s\n" % channel if channel else "", imei_))
        else:
            text = _INFO_WORDS.get(mode, "Your modem is in upgrade mode! Use firmware.dup to "
                                         "flash new firmware.") + "\n"
        call.block(text)
        return Info(mode, MODES.get(mode, "unknown"), build, ati1, imei_, text, channel)


def _showver_fields(text):
    fields = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().rstrip("*").strip(), value.strip())
    return fields


def _showver_build(lib, text, name):
    b = _u32(0)
    return b.value if lib.sqns_parse_showver_build(text.encode(), name.encode(),
                                                   ctypes.byref(b)) else None


def version(port=None, verbose=False, debug=False, *, fc=False, baud=None, quiet=False,
            timeouts=None, cancel=None, on_event=None) -> Version:
    """The modem's SYSTEM VERSION block (AT!="showver"), application mode
    only: prints it (unless quiet) and returns a Version."""
    with _query_call(port, verbose, debug, fc, baud, quiet, timeouts, cancel, on_event) as call:
        _need_application(call, _detect(call), "version")
        text = _text_query(call, call.lib.sqns_showver, "version")
        call.block(text)
        return Version(text, _showver_build(call.lib, text, "Software"),
                       _showver_build(call.lib, text, "Bootloader0"), _showver_fields(text))


def state(port=None, verbose=False, debug=False, *, fc=False, baud=None, timeouts=None,
          cancel=None, on_event=None) -> int:
    """The modem's mode: 0 recovery, 1 mtools, 2 application, 3 updater, 4
    upgrade (MODES names them). Prints nothing (debug= the wire)."""
    with _query_call(port, verbose, debug, fc, baud, False, timeouts, cancel, on_event,
                     show=False) as call:
        return _detect(call)


def imei(port=None, verbose=False, debug=False, *, fc=False, baud=None, timeouts=None,
         cancel=None, on_event=None) -> str:
    """The modem's IMEI (15 digits), application mode only. Prints nothing."""
    with _query_call(port, verbose, debug, fc, baud, False, timeouts, cancel, on_event,
                     show=False) as call:
        _need_application(call, _detect(call), "imei")
        return _imei(call)


# ---- mirror mode ----


def uart(ffh_mode=False, mfile=None, *, port=None, host=None, bootrom=None, baud=None,
         fc=False, verbose=False, debug=False, quiet=False, timeouts=None, cancel=None,
         on_event=None, progress=None) -> Result:
    """Mirror mode, as sqnsupgrade.uart() on the board in Pycom's instructions,
    on a machine between the modem (port=, or $SQNSUPGRADE_PORT) and the computer that sends the
    firmware (host=, a serial port or socket://HOST:PORT): bring the modem to
    upgrade mode, print "Going into MIRROR mode...", then copy bytes both ways
    until one side closes or cancel is set.

    ffh_mode=True: the recovery method; it needs mfile (updater.elf), loaded
    here first (the mirror cannot follow the rate change of loading it
    later), and bootrom= for a modem with the factory boot ROM.
    Returns the Result of the preparation once the mirror ends.
    """
    if port is None:
        port = os.environ.get("SQNSUPGRADE_PORT")
    if not host:
        raise SqnsupgradeError("uart() needs host=PORT: the port facing the computer that "
                               "sends the firmware", EXIT_USAGE, SQNS_ERR_ARG)
    if ffh_mode and mfile is None:
        raise SqnsupgradeError("uart(True) needs mfile (updater.elf): loading updater.elf later, "
                               "through the mirror, changes the modem's rate and the mirror "
                               "cannot follow", EXIT_USAGE, SQNS_ERR_ARG)
    if mfile is not None and not ffh_mode:
        raise SqnsupgradeError("uart(): mfile goes with the recovery method, uart(True, mfile)",
                               EXIT_USAGE, SQNS_ERR_ARG)
    with _Call(port, baud, fc, progress, on_event, cancel, quiet, verbose, debug,
               timeouts) as call:
        files = {"port": port, "firmware": None, "updater": mfile, "bootrom": bootrom}
        opts = _UpgradeOpts()
        if mfile is not None:
            opts.updater = call.open_file(mfile, "updater")
        if bootrom is not None:
            opts.bootrom = call.open_file(bootrom, "bootrom", bootrom=True)
        call.open_port()
        call.block(_words(call.lib.sqns_words_welcome))
        r = call.invoke(call.lib.sqns_prepare, ctypes.byref(call.ctx), ctypes.byref(opts))
        result = _result(call)
        if r != SQNS_OK:
            raise _uart_error(call, r, result, files)
        call.say("Going into MIRROR mode... please close this terminal to resume the upgrade "
                 "via UART")
        other = call.open_one(host, call.baud)
        try:
            r = call.invoke(call.lib.sqns_port_bridge, other, call.port, call._abort_fn, None)
        finally:
            call.lib.sqns_port_close(other)
        if r != SQNS_OK:
            raise SqnsupgradeError("the mirror stopped: %s" % _strerror(r), _status_for(r), r,
                                   stage=result.stage, mode=result.mode, result=result,
                                   os_errno=ctypes.get_errno() or None)
        return result


def _uart_error(call, r, result, files):
    res = call.ctx.res
    mode = res.mode if res.mode >= 0 else None
    if r == SQNS_ERR_REFUSED:
        name = REFUSALS[res.refusal]
        if name == "recovery_no_updater":
            text = "the modem is in recovery mode (0): use uart(True, 'updater.elf')"
        elif name == "bootrom_missing":
            text = ("the modem still has its factory boot ROM (Bootloader0 %u): the recovery "
                    "method starts by replacing it; give bootrom=FILE" % res.plan.bootloader0)
        else:
            text = _refusal_message(call, res.refusal, res.plan, files, False)
        return SqnsupgradeError(text + "\nNothing was changed on the modem.", EXIT_REFUSED, r,
                                refusal=name, stage=result.stage, mode=mode, result=result)
    text = "cannot prepare the modem: %s." % ("interrupted" if r == SQNS_ERR_ABORTED
                                              else _strerror(r))
    words = None
    if result.stage == "recovery":
        words = ("The modem is in recovery mode (0): call uart(True, 'updater.elf') again.")
    elif result.stage != "untouched":
        words = ("The modem is in upgrade mode (4): call uart() again, or run the upgrade from "
                 "the computer.")
    return SqnsupgradeError(text + ("\n" + words if words else ""), _status_for(r), r,
                            stage=result.stage, modem_state=words, mode=mode, result=result)
