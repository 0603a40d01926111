#!/usr/bin/env python3
"""Where a process's resident pages are: /proc/PID/smaps summed per kind of mapping.

    bench/smaps.py PID [BINARY]      → one line per kind: "kind rss_kB private_dirty_kB"

BINARY is the program whose file mappings are text/rodata/data (default: /proc/PID/exe; give
the guest binary when the process is an emulator such as qemu-user). Kinds:

  text       executable mappings of BINARY (r-x)
  rodata     read-only mappings of BINARY (r--)
  data+bss   writable mappings of BINARY and the anonymous mapping right behind the last of
             them (the part of .bss beyond the file's last page)
  heap       [heap] (brk; musl's malloc and the daemon's allocator take memory from here and
             from anonymous mmaps)
  stack      [stack]
  anon       other anonymous mappings smaller than 4 MiB (mmap'd allocator chunks, large
             allocations)
  reserved   anonymous mappings of 4 MiB or more (the portable route's wasm linear memory is
             such a reservation; only the touched pages count)
  files      file mappings of other files (shared libraries of a dynamic binary, an emulator)
  kernel     [vdso], [vvar], [vsyscall]
  total      everything (equals VmRSS up to page-table rounding)
"""
import os
import sys

KINDS = ["text", "rodata", "data+bss", "heap", "stack", "anon", "reserved", "files", "kernel"]


def mappings(pid):
    """Yields (start, end, perms, name, {field: kB}) for each mapping in /proc/PID/smaps."""
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split(None, 5)
            if "-" in head[0] and len(head) >= 5 and ":" not in head[0]:
                if cur:
                    yield cur
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                name = head[5].strip() if len(head) > 5 else ""
                cur = (lo, hi, head[1], name, {})
            elif cur and line.rstrip().endswith(" kB"):
                key, val = line.split(":", 1)
                cur[4][key] = int(val.split()[0])
        if cur:
            yield cur


def breakdown(pid, binary=None):
    binary = os.path.realpath(binary or os.readlink(f"/proc/{pid}/exe"))
    sums = {k: [0, 0] for k in KINDS + ["total"]}
    prev_end_of_binary_rw = None
    for lo, hi, perms, name, fields in mappings(pid):
        rss, pd = fields.get("Rss", 0), fields.get("Private_Dirty", 0)
        if name and os.path.realpath(name.replace(" (deleted)", "")) == binary:
            kind = "text" if "x" in perms else "data+bss" if "w" in perms else "rodata"
            prev_end_of_binary_rw = hi if "w" in perms else None
        elif name == "[heap]":
            kind = "heap"
        elif name.startswith("[stack"):
            kind = "stack"
        elif name in ("[vdso]", "[vvar]", "[vsyscall]", "[vvar_vclock]"):
            kind = "kernel"
        elif name and not name.startswith("["):
            kind = "files"
        elif lo == prev_end_of_binary_rw:
            kind = "data+bss"
        elif hi - lo >= 4 << 20:
            kind = "reserved"
        else:
            kind = "anon"
        if kind != "data+bss":
            prev_end_of_binary_rw = None
        for k in (kind, "total"):
            sums[k][0] += rss
            sums[k][1] += pd
    return sums


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sums = breakdown(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
    for k in KINDS + ["total"]:
        print(k, sums[k][0], sums[k][1])


if __name__ == "__main__":
    main()
