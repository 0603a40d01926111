#!/usr/bin/env python3
"""Writes a directory as an initramfs archive (cpio "newc" format, uncompressed).

    bench/qemu-system/mkcpio.py DIR OUT.cpio

Files, directories and symbolic links with their modes; owner root. Used by
bench/qemu-system-mips.sh where no cpio program is installed.
"""
import os, sys, stat
root, out = sys.argv[1], sys.argv[2]
ino = [1]
def hdr(name, mode, size, nlink=1):
    h = "070701" + "".join("%08X" % v for v in [ino[0], mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, len(name) + 1, 0])
    ino[0] += 1
    b = (h + name + "\0").encode()
    return b + b"\0" * ((4 - len(b) % 4) % 4)
with open(out, "wb") as f:
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(dirs) + sorted(files):
            p = os.path.join(d, n); rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(p).encode()
            elif stat.S_ISREG(st.st_mode):
                data = open(p, "rb").read()
            else:
                data = b""
            f.write(hdr(rel, st.st_mode, len(data)))
            f.write(data + b"\0" * ((4 - len(data) % 4) % 4))
    f.write(hdr("TRAILER!!!", 0, 0))
