#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Worst-case stack depth from GCC's -fcallgraph-info=su files (.ci).

    stack_depth.py ENTRY [--isr NAME ...] [--indirect NAME ...] FILE.ci ...

The deepest path from ENTRY, adding each function's frame; calls through a
function pointer (__indirect_call) are charged the deepest of the --indirect
functions (the port's and the board's callbacks) not already on the path; one interrupt (the deepest --isr, plus the
32-byte exception frame of a Cortex-M without FPU context) on top.
Fails on recursion and on a dynamic-size frame.
"""
import re
import sys


def parse(files):
    frames, calls, names = {}, {}, {}
    node = re.compile(r'node: \{ title: "([^"]+)" label: "([^"\\]+)(?:\\n[^"\\]*)?(?:\\n(\d+) bytes \((\w+)\))?')
    edge = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    for path in files:
        with open(path) as f:
            text = f.read()
        for title, name, size, kind in node.findall(text):
            names.setdefault(name, set()).add(title)
            if size:
                if kind != "static":
                    sys.exit("stack_depth: %s has a %s frame" % (title, kind))
                frames[title] = int(size)
        for src, dst in edge.findall(text):
            calls.setdefault(src, set()).add(dst)
    return frames, calls, names


def main(argv):
    entry, isrs, indirect, files = argv[0], [], [], []
    it = iter(argv[1:])
    for a in it:
        if a == "--isr":
            isrs.append(next(it))
        elif a == "--indirect":
            indirect.append(next(it))
        else:
            files.append(a)
    frames, calls, names = parse(files)

    def resolve(name):
        # A global function's node is its bare name; a static one's is FILE:name.
        return names.get(name, {name})

    memo, active = {}, set()

    def depth(title):
        if title == "__indirect_call":
            # Any callback but one already on the path (a callback does not call itself).
            return max((depth(t) for n in indirect for t in resolve(n) if t not in active),
                       default=0)
        if title in memo:
            return memo[title]
        if title in active:
            sys.exit("stack_depth: recursion through %s" % title)
        active.add(title)
        # A call to a global function lands on its defining node (same bare name).
        callees = set()
        for c in calls.get(title, ()):
            callees |= {t for t in resolve(c.split(":")[-1]) if t in frames} or {c}
        d = frames.get(title, 0) + max((depth(c) for c in callees if c != title), default=0)
        active.discard(title)
        memo[title] = d
        return d

    main_depth = max(depth(t) for t in resolve(entry))
    isr_depth = max((depth(t) for n in isrs for t in resolve(n)), default=0)
    total = main_depth + (isr_depth + 32 if isrs else 0)
    print("stack: %d bytes from %s, %d for the deepest interrupt (+32 exception frame): %d"
          % (main_depth, entry, isr_depth, total))
    return total


if __name__ == "__main__":
    main(sys.argv[1:])
