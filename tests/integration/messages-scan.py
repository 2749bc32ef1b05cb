#!/usr/bin/env python3
"""Scan src/ for error and warning messages without a single-quoted object.

usage: messages-scan.py SRCDIR

Every call of an error or warning function (log_error_errno, log_error,
log_warning, log_err, log_warn, cli_error, cli_usage, the PE builder's fail,
and fprintf(stderr, "distkernel: ...")) has its string literals joined into
one format; the format must hold a 'quoted' part: the file, kernel 'KVER',
'NAME/VERSION', config key or command the message is about (see
doc/messages.md). Usage lines ("...: usage: ...") are exempt: they print
'distkernel --help' as their hint.

Prints one line per offending call (path:line: function: format) and exits 1
when there is one; ALLOWED lists the exceptions, each with its reason.
"""
import os
import re
import sys

FUNCS = {"log_error_errno", "log_error", "log_warning", "log_err", "log_warn", "cli_error", "cli_usage", "fail",
         "fprintf"}

# (path below src/, format as written in the source) -> why it names no object
ALLOWED = {
    ("cli/output.c", ""): "cli_error()/cli_usage() themselves: they print a message made elsewhere",
    ("util/log.c", ""): "log_error_errno() itself",
    ("cli/output.c", "distkernel: %s\\n"): "the log sink: prints a library message",
    ("cli/output.c", "distkernel: %s"): "cli_error()/cli_usage(): print a formatted message",
    ("cli/output.c", "distkernel: writing to standard output: %s\\n"): "standard output has no name",
    ("cli/output.c", "distkernel: waited for another distkernel to finish\\n"): "a notice, not an error",
    ("cli/main.c", "distkernel: fault injection: %ld checked operations\\n"): "test output (DISTKERNEL_FAULT=0)",
    ("cli/main.c", "invalid option"): "getopt has named the option just before",
    ("cli/main.c", "no command given"): "nothing to name; the hint is 'distkernel --help'",
    ("cli/cmd-sync.c", "sync: invalid option"): "getopt has named the option just before",
    ("cli/cmd-kernel.c", "kernel build: invalid option"): "getopt has named the option just before",
    ("cli/cmd-kernel.c", "kernel: missing subcommand (list, add, remove)"): "nothing to name; lists the choices",
    ("cli/cmd-module.c", "module: missing subcommand (list, add, remove, log)"): "nothing to name; lists the choices",
    ("cli/output.c", "%s: %s"): "cli_failed(): a failure the library did not report, named by its command and errno",
    ("cli/cmd-kernel.c", "kernel list: %s"): "the library's message, already quoted",
    ("cli/cmd-sync.c", "sync: out of memory"): "out of memory has no object",
    ("cli/cmd-graph.c", "graph: out of memory"): "out of memory has no object",
    ("core/exec.c", "job graph cannot make progress"): "an internal error (a cycle in the job graph)",
    ("initramfs/builtin.c", "initramfs request without a root, kernel or output"): "an internal error",
    ("initramfs/builtin.c", "initramfs request with an unknown compression %d"): "an internal error",
    ("uki/uki.c", "UKI request without an output or a kernel image"): "an internal error",
    ("initramfs/builtin.c", "module %zu of the initramfs: its name, path or a dependency's path has white space or "
     "control characters, not loadable on demand, skipping"): "the name itself is what cannot be printed",
    ("initramfs/compress.c", "zstd compression failed: %s"): "the codec does not know the image; the kernel's "
     "initramfs failure names it",
    ("initramfs/compress.c", "xz: invalid preset %d"): "as zstd",
    ("initramfs/compress.c", "xz: cannot set up the encoder (error %d)"): "as zstd",
    ("initramfs/compress.c", "xz compression failed (error %d)"): "as zstd",
    ("initramfs/compress.c", "gzip: cannot set up the compressor"): "as zstd",
    ("initramfs/compress.c", "gzip compression failed (error %d)"): "as zstd",
    ("initramfs/compress.c", "lz4 compression failed"): "as zstd",
    ("initramfs/external.c", "cannot create a mount namespace: %m"): "a process-wide failure, no object",
    ("initramfs/external.c", "cannot make mounts private: %m"): "a process-wide failure, no object",
    # the initramfs's /init: on the console at boot, not the CLI's
    ("init/init.c", "the initramfs's /init: runs as PID 1 only\\n"): "usage of /init",
    ("init/init.c", "kernel command line: %s"): "the problem text quotes the argument ('rd.timeout=x': ...)",
    ("init/init.c", "waited %.0f s for %s (%s; found: %s)"): "names root=... as given; tests/boot check the text",
    ("init/init.c", "%u modules failed to load (%u loaded); see the messages above"): "each module was named above",
    ("init/init.c", "cannot hand over to the root file system"): "the cause was logged just before",
    ("init/modload.c", "out of memory, loading no modules"): "out of memory has no object",
    ("init/rootfs.c", "no shell in the initramfs: powering off in %u s"): "the last words; tests/boot check the text",
}

CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# which argument is the format
FORMAT_ARG = {"log_error_errno": 1, "log_error": 0, "log_warning": 0, "log_err": 0, "log_warn": 0, "cli_error": 1,
              "cli_usage": 0, "fail": 2, "fprintf": 1}
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def calls(text):
    """(name, line, argument text) of every call of FUNCS outside comments and strings."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            i = text.find("*/", i + 2)
            i = n if i < 0 else i + 2
        elif text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c.isalpha() or c == "_":
            m = CALL.match(text, i)
            name, j = m.group(0), m.end()
            while j < n and text[j] in " \t\n":
                j += 1
            if name in FUNCS and j < n and text[j] == "(" and (i == 0 or text[i - 1] not in ".>"):
                end = matching_paren(text, j)
                yield name, text.count("\n", 0, i) + 1, text[j + 1:end]
                i = end
            else:
                i = m.end()
        else:
            i += 1


def string_end(text, j):
    """The index of the quote that closes the C string or char literal at j."""
    k, n = j + 1, len(text)
    while k < n and text[k] != text[j]:
        k += 2 if text[k] == "\\" else 1
    return k


def split_args(args):
    """The top-level comma-separated arguments of a call."""
    parts, depth, start, j, n = [], 0, 0, 0, len(args)
    while j < n:
        c = args[j]
        if c in "\"'":
            j = string_end(args, j)
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(args[start:j])
            start = j + 1
        j += 1
    parts.append(args[start:])
    return parts


def matching_paren(text, i):
    depth, j, n = 0, i, len(text)
    while j < n:
        c = text[j]
        if c in "\"'":
            j = string_end(text, j)
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return n


def main():
    src = sys.argv[1]
    bad, seen, used = [], 0, set()
    for dirpath, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            if not f.endswith(".c"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, src)
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for name, line, args in calls(text):
                if name == "fprintf" and not args.lstrip().startswith("stderr"):
                    continue
                if name == "fprintf" and '"distkernel: ' not in args and not rel.startswith("init/"):
                    continue
                if name == "fail" and rel == "uki/pe-builder.c":
                    continue  # fail(r, name, fmt) prints "'NAME': ..." itself
                parts = split_args(args)
                i = FORMAT_ARG[name]
                fmt = "".join(LITERAL.findall(parts[i])) if i < len(parts) else ""
                seen += 1
                if re.search(r"'[^']+'", fmt) or ": usage: " in fmt:
                    continue
                if (rel, fmt) in ALLOWED:
                    used.add((rel, fmt))
                    continue
                bad.append(f"{rel}:{line}: {name}: \"{fmt}\"")
    for key in sorted(set(ALLOWED) - used):
        bad.append(f"{key[0]}: allow-list entry matches no message any more: \"{key[1]}\"")
    print(f"{seen} error and warning messages scanned, {len(used)} allowed without a quoted object")
    if bad:
        print("messages without a 'quoted' object (see doc/messages.md):")
        print("\n".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
