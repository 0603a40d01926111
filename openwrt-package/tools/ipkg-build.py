#!/usr/bin/env python3
"""ipkg-build.py PKG_DIR OUT_DIR: packs a package tree (files plus a CONTROL/ directory with
control, conffiles, maintainer scripts) into an .ipk the way OpenWrt's ipkg-build does: a
gzipped tar holding ./debian-binary ("2.0"), ./data.tar.gz and ./control.tar.gz; every member
owned by 0:0 with numeric owners, names sorted, timestamps SOURCE_DATE_EPOCH (default 0);
Installed-Size = size in bytes of the uncompressed data tar. Prints the .ipk's path."""
import gzip
import io
import os
import re
import sys
import tarfile

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


def normalise(info):
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = EPOCH
    return info


def tar_tree(root, exclude=()):
    """Uncompressed GNU tar of root's contents as ./name entries, depth first in name order
    (like tar --sort=name); symlinks stay symlinks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        def add(path, arcname):
            tar.add(path, arcname=arcname, recursive=False, filter=normalise)
            if os.path.isdir(path) and not os.path.islink(path):
                for name in sorted(os.listdir(path)):
                    if arcname == "." and name in exclude:
                        continue
                    add(os.path.join(path, name), arcname + "/" + name)
        add(root, ".")
    return buf.getvalue()


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pkg_dir, out_dir = sys.argv[1], sys.argv[2]
    control_dir = os.path.join(pkg_dir, "CONTROL")
    control_path = os.path.join(control_dir, "control")
    with open(control_path) as f:
        control = f.read()
    fields = dict(re.findall(r"^([A-Za-z-]+):[ \t]*(.*)$", control, re.M))
    for field in ("Package", "Version", "Architecture"):
        if not fields.get(field):
            sys.exit("ipkg-build.py: %s has no %s field" % (control_path, field))
    if re.search(r"[^a-zA-Z0-9_.+-]", fields["Package"]):
        sys.exit("ipkg-build.py: package name %r has illegal characters" % fields["Package"])

    data_tar = tar_tree(pkg_dir, exclude=("CONTROL",))
    control = re.sub(r"^Installed-Size:.*$", "Installed-Size: %d" % len(data_tar), control, flags=re.M)
    if "Installed-Size:" not in control:
        control = control.replace("\nDescription:", "\nInstalled-Size: %d\nDescription:" % len(data_tar))
    with open(control_path, "w") as f:
        f.write(control)
    control_tar = tar_tree(control_dir)

    outer = io.BytesIO()
    with tarfile.open(fileobj=outer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, payload in (("./debian-binary", b"2.0\n"), ("./data.tar.gz", gz(data_tar)),
                              ("./control.tar.gz", gz(control_tar))):
            info = normalise(tarfile.TarInfo(name))
            info.size = len(payload)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(payload))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "%s_%s_%s.ipk" % (fields["Package"], fields["Version"], fields["Architecture"]))
    with open(path, "wb") as f:
        f.write(gz(outer.getvalue()))
    print(path)


main()
