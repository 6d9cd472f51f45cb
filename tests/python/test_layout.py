# SPDX-License-Identifier: MIT
"""The ctypes mirrors of python/sqnsupgrade against the C structures.

A small C program (layout.c), compiled here against include/ with the
project's compiler ($SQNS_CC, else cc), prints each structure's size,
alignment and field offsets; every mirror must match them field by field, so
a change of the header that the module does not follow fails here, not on a
modem.
"""
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "python"))

import sqnsupgrade as m  # noqa: E402

# C structure -> its mirror; the mirror's field names where C's is a Python keyword.
MIRRORS = {
    "sqns_event": m._Event,
    "sqns_timeouts": m._Timeouts,
    "sqns_config": m._Config,
    "sqns_image_info": m._ImageInfo,
    "sqns_plan": m._Plan,
    "sqns_result": m._Result,
    "sqns_image": m._Image,
    "sqns_upgrade_opts": m._UpgradeOpts,
    "sqns_port_opts": m._PortOpts,
    "sqns_choice": m._Choice,
    "sqns_release_summary": m._ReleaseSummary,
    "sqns_member": m._Member,
    "sqns_release": m._Release,
}
RENAMED = {"from": "from_"}


def c_layout():
    cc = os.environ.get("SQNS_CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise unittest.SkipTest("no C compiler")
    with tempfile.TemporaryDirectory(prefix="sqns-layout-") as tmp:
        exe = os.path.join(tmp, "layout")
        subprocess.run([cc, "-std=c11", "-Wall", "-Werror", "-I", os.path.join(SRC, "include"),
                        "-o", exe, os.path.join(HERE, "layout.c")], check=True)
        out = subprocess.run([exe], check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def mirror_offsets(cls, prefix="", base=0):
    """{field: offset} of a ctypes Structure, nested structures as "outer.inner" too."""
    out = {}
    for name, ftype in cls._fields_:
        off = base + getattr(cls, name).offset
        out[prefix + name] = off
        if isinstance(ftype, type) and issubclass(ftype, ctypes.Structure) and \
                ftype in (m._Frame,):
            out.update(mirror_offsets(ftype, prefix + name + ".", off))
    return out


class LayoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = c_layout()

    def test_every_mirror_matches_its_c_structure(self):
        for cname, cls in MIRRORS.items():
            with self.subTest(struct=cname):
                c = dict(self.c[cname])
                self.assertEqual(ctypes.sizeof(cls), c.pop("__size__"), "sizeof")
                self.assertEqual(ctypes.alignment(cls), c.pop("__align__"), "alignof")
                want = {RENAMED.get(k, k): v for k, v in c.items()}
                got = mirror_offsets(cls)
                # A nested structure (the timeouts, a plan's target) has its own entry in
                # MIRRORS; the event's anonymous frame is compared inside it.
                self.assertEqual(got, want)

    def test_the_context_has_cfg_and_res_where_c_has_them_and_room_for_priv(self):
        c = self.c["sqns_ctx"]
        self.assertEqual(m._Ctx.cfg.offset, c["cfg"])
        self.assertEqual(m._Ctx.res.offset, c["res"])
        self.assertEqual(m._Ctx.priv.offset, c["priv"])
        # The core's private part is opaque room of the header's size: the mirror is exact.
        self.assertEqual(self.c["SQNS_PRIV_SIZE"], m._PRIV_ROOM)
        self.assertEqual(ctypes.sizeof(m._Ctx), c["__size__"])
        self.assertEqual(c["__align__"], ctypes.alignment(m._Ctx))
        # ... and the library loaded says the same size.
        self.assertEqual(m._library().sqns_ctx_size(), ctypes.sizeof(m._Ctx))

    def test_the_name_tables_follow_the_header(self):
        with open(os.path.join(SRC, "include", "sqnsupgrade.h")) as f:
            header = f.read()

        def members(enum):
            body = header[header.index("enum %s {" % enum):]
            body = body[:body.index("};")]
            names = []
            for line in body.splitlines()[1:]:
                word = line.strip().split(",")[0].split("=")[0].strip()
                if word.startswith("SQNS_"):
                    names.append(word)
            return names

        def lower(names, prefix):
            return tuple(n[len(prefix):].lower() for n in names)

        self.assertEqual(lower(members("sqns_phase"), "SQNS_PHASE_"), m.PHASES)
        self.assertEqual(lower(members("sqns_event_type"), "SQNS_EV_"), m.EVENT_TYPES)
        self.assertEqual(lower(members("sqns_stage"), "SQNS_STAGE_"), m.STAGES)
        self.assertEqual(lower(members("sqns_refusal"), "SQNS_REFUSE_"), m.REFUSALS)
        self.assertEqual(lower(members("sqns_release_problem"), "SQNS_RELEASE_"),
                         m.RELEASE_PROBLEMS)
        self.assertEqual(lower(members("sqns_choice_why"), "SQNS_CHOSE_"), m.CHOICES)
        errs = members("sqns_err")
        self.assertEqual(len(errs), len(m.ERRORS))
        for code, name in enumerate(errs):
            self.assertEqual(m.ERRORS[-code], name[len("SQNS_"):].lower().replace("err_", ""))


if __name__ == "__main__":
    unittest.main()
