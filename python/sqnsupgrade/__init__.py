"""sqnsupgrade: the SQN3330 firmware updater as Pycom's Python module, on a PC.

A drop-in for the PC-side calls of Pycom's sqnsupgrade module, for the system
python3 (standard library only). It calls the sqnsupgrade command line inside
libsqnsupgrade.so through ctypes, so what it prints is exactly what the command
prints, and a failure raises SqnsupgradeError with the command's message:

    import sqnsupgrade
    sqnsupgrade.run('/dev/ttyUSB0', 'CATM1-39529.dup')                # normal upgrade
    sqnsupgrade.run('/dev/ttyUSB0', 'CATM1-39529.dup', 'updater.elf') # recovery method
    sqnsupgrade.run(port, dup, load_fff=True, fc=True, verbose=True)
    sqnsupgrade.version(port); sqnsupgrade.info(port)
    sqnsupgrade.state(port); sqnsupgrade.imei(port)

The board-side forms run(dup) and run(dup, elf) take the port from
$SQNSUPGRADE_PORT.

The library is looked for in $SQNSUPGRADE_LIB (a path), then next to an
installed module (PREFIX/lib), then in the source tree's build/, then by the
dynamic loader (LD_LIBRARY_PATH, ldconfig).

Errors: the command writes its diagnostics to stderr (fd 2). During a call fd 2
is a pipe whose reader thread copies every byte to the original stderr as it
arrives (so the console shows what the command shows) and keeps them; on a
non-zero exit status the error block, from the first "sqnsupgrade: " line to
the end, becomes the exception's message. One call at a time per process.
"""
import ctypes
import os
import sys
import sysconfig
import threading

__all__ = ["run", "info", "version", "state", "imei", "cli", "library_path",
           "SqnsupgradeError"]

_LIBNAME = "libsqnsupgrade.so.0"

# Exit statuses of the command (README.md, "Exit statuses").
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_FILE, EXIT_PORT, EXIT_NO_MODEM = 0, 1, 2, 3, 4, 5
EXIT_TRANSFER, EXIT_REJECTED, EXIT_INTERRUPTED, EXIT_STATE = 6, 7, 8, 9
EXIT_REFUSED, EXIT_VERIFY = 10, 11


class SqnsupgradeError(Exception):
    """The command failed. str(e) is its error message as printed on stderr;
    e.status is its exit status; e.stderr everything it printed there."""

    def __init__(self, message, status, stderr=""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.stderr = stderr


_lock = threading.Lock()
_lib = None
_lib_path = None


def _candidates():
    env = os.environ.get("SQNSUPGRADE_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # Installed: PREFIX/lib/pythonX.Y/dist-packages/sqnsupgrade -> PREFIX/lib.
    libdir = os.path.normpath(os.path.join(here, "..", "..", ".."))
    yield os.path.join(libdir, _LIBNAME)
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch:
        yield os.path.join(libdir, multiarch, _LIBNAME)
    # The source tree: python/sqnsupgrade -> build/.
    yield os.path.normpath(os.path.join(here, "..", "..", "build", _LIBNAME))
    yield _LIBNAME


def _library():
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path)
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        lib.sqns_cli_main.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
        lib.sqns_cli_main.restype = ctypes.c_int
        _lib, _lib_path = lib, path
        return lib
    raise ImportError("sqnsupgrade: cannot load %s; set SQNSUPGRADE_LIB to its path. Tried: %s"
                      % (_LIBNAME, ", ".join(tried)))


def library_path():
    """The path of the libsqnsupgrade loaded (loading it if needed)."""
    _library()
    return _lib_path


class _Tee:
    """Route fd through a pipe; a thread copies to the original and keeps a copy."""

    KEEP = 1 << 20  # keep the last MiB: the error block is at the end

    def __init__(self, fd, keep_all=False):
        self.fd = fd
        self.keep_all = keep_all
        self.data = bytearray()
        self.saved = None
        try:
            self.saved = os.dup(fd)
        except OSError:
            return  # fd not open: nothing to copy to, nothing to keep
        self.rd, wr = os.pipe()
        os.dup2(wr, fd)
        os.close(wr)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        while True:
            chunk = os.read(self.rd, 65536)
            if not chunk:
                return
            view = memoryview(chunk)
            while view:
                try:
                    view = view[os.write(self.saved, view):]
                except OSError:
                    break  # the console went away: keep the copy anyway
            self.data += chunk
            if not self.keep_all and len(self.data) > 2 * self.KEEP:
                del self.data[:-self.KEEP]

    def close(self):
        if self.saved is None:
            return ""
        os.dup2(self.saved, self.fd)  # drops the pipe's last writer: the reader sees EOF
        self.thread.join()
        os.close(self.saved)
        os.close(self.rd)
        return self.data.decode(errors="replace")


def _error_message(status, err):
    lines = err.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("sqnsupgrade: ") and not line.startswith("sqnsupgrade: warning:"):
            return "\n".join(lines[i:])
    rest = [l for l in lines if l.strip()]
    return rest[-1] if rest else "sqnsupgrade: failed (exit status %d)" % status


def _call(args, capture_stdout=False):
    """Run the command line; returns (status, stdout text or None, stderr text)."""
    argv = [b"sqnsupgrade"] + [os.fsencode(str(a)) for a in args]
    arr = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    with _lock:
        lib = _library()
        for f in (sys.stdout, sys.stderr):
            if f is not None:
                f.flush()
        err = _Tee(2)
        out = _Tee(1, keep_all=True) if capture_stdout else None
        try:
            status = lib.sqns_cli_main(len(argv), arr)
        finally:
            ctypes.CDLL(None).fflush(None)
            out_text = out.close() if out else None
            err_text = err.close()
    return status, out_text, err_text


def _check(args, capture_stdout=False):
    status, out, err = _call(args, capture_stdout)
    if status != EXIT_OK:
        raise SqnsupgradeError(_error_message(status, err), status, err)
    return out


def _common(port, baud, fc, verbose, debug):
    args = []
    if port is not None:
        args += ["-p", port]
    if baud is not None:
        args += ["-b", baud]
    if fc:
        args.append("--rtscts")
    args += ["-v"] * int(verbose)
    if debug:
        args.append("--debug")
    return args


def _looks_like_board_form(first, second):
    # run(dup, elf) on the board: the first is a file and the second an ELF
    # file name, where run(port, dup) has a port (never a regular file) first.
    return str(second).lower().endswith(".elf") and os.path.isfile(str(first))


def run(port, dup=None, elf=None, *, resume=False, debug=False, verbose=False,
        load_fff=False, fc=False, force_fff=False, baud=None, baudrate=None,
        force=False, dry_run=False, bootrom=None):
    """Upgrade the modem's firmware: run(port, dup[, elf]).

    resume: the modem is in upgrade mode after a failed upgrade (--resume);
    load_fff / force_fff: store the image first, then apply it (--fff /
    --force-fff); fc: RTS/CTS flow control (--rtscts); verbose / debug: -v /
    --debug. baud (or baudrate), force, dry_run and bootrom are the command's
    -b, --force, --dry-run and --bootrom. Returns True; raises
    SqnsupgradeError with the command's message when it fails.
    """
    if dup is None:
        port, dup = None, port  # run(dup): the board-side form
    elif elf is None and _looks_like_board_form(port, dup):
        port, dup, elf = None, port, dup  # run(dup, elf)
    args = _common(port, baud if baud is not None else baudrate, fc, verbose, debug)
    args += ["run", dup] + ([elf] if elf is not None else [])
    if load_fff:
        args.append("--fff")
    if force_fff:
        args.append("--force-fff")
    if resume:
        args.append("--resume")
    if force:
        args.append("--force")
    if dry_run:
        args.append("--dry-run")
    if bootrom is not None:
        args += ["--bootrom", bootrom]
    _check(args)
    return True


def _query(command, port, baud, fc, verbose, debug):
    return _check(_common(port, baud, fc, verbose, debug) + [command], capture_stdout=True)


def info(port=None, *, verbose=False, debug=False, fc=False, baud=None):
    """Say which mode the modem is in and, in application mode, its version.
    Prints the command's answer and returns it."""
    return _query("info", port, baud, fc, verbose, debug)


def version(port=None, *, verbose=False, debug=False, fc=False, baud=None):
    """Print the modem's SYSTEM VERSION block (AT!="showver") and return it."""
    return _query("version", port, baud, fc, verbose, debug)


def state(port=None, *, verbose=False, debug=False, fc=False, baud=None):
    """Print the modem's mode ("2 application") and return its number."""
    out = _query("state", port, baud, fc, verbose, debug)
    return int(out.split()[0])


def imei(port=None, *, verbose=False, debug=False, fc=False, baud=None):
    """Print the modem's IMEI and return it (a string of 15 digits)."""
    return _query("imei", port, baud, fc, verbose, debug).strip()


def cli(*args):
    """Run the command line with these arguments (without the program name);
    returns its exit status and raises nothing: cli('-p', port, 'state')."""
    return _call(list(args))[0]
