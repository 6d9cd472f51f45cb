# SPDX-License-Identifier: MIT
"""Help generated from the option tables: it fits a terminal, lists each option once per command,
and the man page and the bash completion know every option it shows."""
import os
import re
import subprocess
import unittest

from harness import HANG_GUARD, SQNSUPGRADE, SimTestCase, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
MAN = os.path.join(ROOT, "man", "sqnsupgrade.1")
COMPLETION = os.path.join(ROOT, "completion", "sqnsupgrade.bash")
COMMANDS = ["run", "info", "version", "state", "imei", "list-ports", "uart", "bridge"]
WIDTH = 79


def option_lines(text):
    """{option name: its value's name or None} of the option lines in text."""
    opts = {}
    for line in text.splitlines():
        if not re.match(r"^(  -|      -)", line):
            continue  # descriptions, continuation lines
        label = re.split(r"\s{2,}", line.strip())[0]
        words = re.split(r",? ", label)
        arg = None if words[-1].startswith("-") else words[-1]
        for w in words:
            if w.startswith("--"):
                opts[w] = arg
    return opts


def section(text, title):
    """The lines under `title` up to the next blank line."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return "\n".join(lines[start:end])


class HelpTextTest(SimTestCase):
    def help(self, *args):
        r = run_cli(*args, "--help")
        self.assertExit(r, 0)
        self.assertEqual(r.err, "")
        for line in r.out.splitlines():
            self.assertLessEqual(len(line), WIDTH, "%s --help: %r" % (args, line))
        return r.out

    def test_each_option_once_in_both_helps(self):
        usage = self.help()
        listed = set(option_lines(section(usage, "Options:")))
        for cmd in COMMANDS:
            own = option_lines(self.help(cmd))
            title = "Options of %s:" % cmd
            if own:
                self.assertEqual(option_lines(section(usage, title)), own, cmd)
            else:
                self.assertNotIn(title, usage)
            # The synopsis shows the same options.
            synopsis = self.help(cmd).splitlines()
            shown = set(re.findall(r"--[a-z-]+", " ".join(
                l for l in synopsis if l.startswith("Usage:") or l.startswith("   "))))
            self.assertEqual(shown, set(own), cmd)
            self.assertFalse(listed & set(own), cmd)  # not a global option too

    def test_options_go_with_their_command(self):
        usage = self.help()
        for cmd in COMMANDS:
            for opt, arg in option_lines(self.help(cmd)).items():
                other = "state" if cmd != "state" else "imei"
                value = {"RATE": "115200", "S": "1"}.get(arg, "x")
                args = [opt] + ([value] if arg else []) + [other]
                r = run_cli(*args, env={"SQNSUPGRADE_PORT": "/nonexistent"})
                self.assertExit(r, 2)
                self.assertRegex(r.err, "%s goes with [^,]*'%s'" % (opt, cmd))
        self.assertIn("-p, --port PORT", usage)

    def test_usage_line_shows_board(self):
        # The usage line (up to COMMAND ...) names --board, as the man page's synopsis does.
        lines = self.help().splitlines()
        usage = " ".join(lines[:next(i for i, l in enumerate(lines) if "COMMAND ..." in l) + 1])
        self.assertIn("[--board]", usage)
        with open(MAN) as f:
            synopsis = f.read().split(".SH SYNOPSIS", 1)[1].split(".SH", 1)[0]
        self.assertIn("board", synopsis)

    def test_man_page_knows_every_option(self):
        with open(MAN) as f:
            man = f.read().replace("\\-", "-")
        opts = set(option_lines(section(self.help(), "Options:")))
        for cmd in COMMANDS:
            opts |= set(option_lines(self.help(cmd)))
        for opt in sorted(opts):
            self.assertRegex(man, re.escape(opt) + r"\b", opt)

    def test_completion_offers_every_option(self):
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(SQNSUPGRADE)) + ":" +
                   os.environ.get("PATH", ""))
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
                  '_sqnsupgrade; printf "%s\\n" "${COMPREPLY[@]}"')
        usage = self.help()
        for cmd in [None] + COMMANDS:
            words = ["sqnsupgrade"] + ([cmd] if cmd else []) + ["--"]
            proc = subprocess.run(["bash", "-c", script, "complete", COMPLETION] + words,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  timeout=HANG_GUARD)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            offered = set(proc.stdout.decode().split())
            expected = set(option_lines(section(usage, "Options:")))
            if cmd:
                expected |= set(option_lines(self.help(cmd)))
            self.assertEqual(offered, expected, cmd)


class BadOptionTest(SimTestCase):
    """Like every other usage error: one line, what is wrong, where to look; exit 2."""

    def check(self, args, line):
        r = run_cli(*args)
        self.assertExit(r, 2)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "sqnsupgrade: %s (see sqnsupgrade --help)\n" % line)

    def test_unknown_long_option(self):
        self.check(["--bogus", "info"], "unknown or ambiguous option '--bogus'")

    def test_unknown_short_option(self):
        self.check(["-x", "info"], "unknown or ambiguous option '-x'")

    def test_ambiguous_prefix(self):
        # --bau could be --baud, --baud-a or --baud-b.
        self.check(["--bau=3", "info"], "unknown or ambiguous option '--bau'")

    def test_misspelt_option_gets_a_suggestion(self):
        self.check(["--dryrun", "run", "x.dup"],
                   "unknown or ambiguous option '--dryrun': did you mean --dry-run?")
        self.check(["--rtcts", "info"], "unknown or ambiguous option '--rtcts': did you mean --rtscts?")
        self.check(["info", "--jsno"], "unknown or ambiguous option '--jsno': did you mean --json?")

    def test_forgotten_run_gets_the_command(self):
        self.check(["CATM1-39529.dup"], "unknown command 'CATM1-39529.dup'; did you mean: "
                                        "sqnsupgrade run CATM1-39529.dup?")
        # Options come first, as getopt moved them; words are quoted for the shell.
        self.check(["-p", "/dev/ttyUSB0", "my image.dup", "updater.elf", "--force"],
                   "unknown command 'my image.dup'; did you mean: sqnsupgrade -p /dev/ttyUSB0 "
                   "--force run 'my image.dup' updater.elf?")

    def test_mistyped_command_gets_a_suggestion(self):
        self.check(["infoo"], "unknown command 'infoo': did you mean 'info'?")
        self.check(["list-port"], "unknown command 'list-port': did you mean 'list-ports'?")
        self.check(["frobnicate"], "unknown command 'frobnicate'")

    def test_missing_value(self):
        self.check(["info", "--port"], "option '--port' needs a value")
        self.check(["info", "-p"], "option '-p' needs a value")


if __name__ == "__main__":
    unittest.main()
