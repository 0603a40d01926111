#!/usr/bin/env python3
"""ipk-inspect.py FILE.ipk: reads an .ipk as opkg does (outer gzipped tar, or an ar archive,
holding debian-binary, control.tar.gz and data.tar.gz) and prints one JSON object: outer format,
member names in order, debian-binary, control fields, conffiles, maintainer scripts, every data
entry (path, type, mode, size, link target, owner) and the uncompressed data tar size. Exits 1
if the structure is not what opkg accepts."""
import gzip
import io
import json
import sys
import tarfile


def fail(msg):
    sys.stderr.write("ipk-inspect.py: %s\n" % msg)
    sys.exit(1)


def read_ar(blob):
    if not blob.startswith(b"!<arch>\n"):
        fail("not an ar archive")
    members, pos = [], 8
    while pos < len(blob):
        header = blob[pos:pos + 60]
        if len(header) < 60 or header[58:60] != b"`\n":
            fail("bad ar member header at %d" % pos)
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        members.append((name, blob[pos + 60:pos + 60 + size]))
        pos += 60 + size + (size & 1)
    return members


def read_outer(blob):
    if blob.startswith(b"!<arch>\n"):
        return "ar", read_ar(blob)
    if blob[:2] != b"\x1f\x8b":
        fail("neither an ar archive nor gzip data")
    members = []
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob)), mode="r:") as tar:
        for info in tar.getmembers():
            if not info.isfile():
                fail("outer member %s is not a regular file" % info.name)
            members.append((info.name, tar.extractfile(info).read()))
    return "tar.gz", members


def entry(info):
    kind = {tarfile.REGTYPE: "file", tarfile.AREGTYPE: "file", tarfile.DIRTYPE: "dir",
            tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}.get(info.type, "other")
    return {"path": info.name, "type": kind, "mode": "%04o" % info.mode, "size": info.size,
            "link": info.linkname or None, "owner": "%d:%d" % (info.uid, info.gid)}


def main():
    with open(sys.argv[1], "rb") as f:
        blob = f.read()
    outer, members = read_outer(blob)
    by_name = {}
    for name, payload in members:
        by_name[name[2:] if name.startswith("./") else name] = payload
    for needed in ("debian-binary", "control.tar.gz", "data.tar.gz"):
        if needed not in by_name:
            fail("missing member %s" % needed)

    control_files = {}
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(by_name["control.tar.gz"])), mode="r:") as tar:
        for info in tar.getmembers():
            if info.isfile():
                name = info.name[2:] if info.name.startswith("./") else info.name
                control_files[name] = (tar.extractfile(info).read().decode(), "%04o" % info.mode)
    if "control" not in control_files:
        fail("control.tar.gz has no control file")
    text = control_files["control"][0]
    fields, last = {}, None
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and last:
            fields[last] += "\n" + line.strip()
        elif ":" in line:
            last, value = line.split(":", 1)
            fields[last] = value.strip()

    data_tar = gzip.decompress(by_name["data.tar.gz"])
    with tarfile.open(fileobj=io.BytesIO(data_tar), mode="r:") as tar:
        data = [entry(info) for info in tar.getmembers()]

    json.dump({
        "outer": outer,
        "members": [name for name, _ in members],
        "debian_binary": by_name["debian-binary"].decode(),
        "control": fields,
        "conffiles": control_files.get("conffiles", ("", ""))[0].split(),
        "scripts": {name: mode for name, (_, mode) in control_files.items() if name not in ("control", "conffiles")},
        "data": data,
        "data_tar_size": len(data_tar),
    }, sys.stdout, indent=1)
    print()


main()
