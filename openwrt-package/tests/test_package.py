#!/usr/bin/env python3
"""Tests of the ddhcpd OpenWrt package without an SDK, evaluating its Makefile with the SDK
stand-in (tools/sdk-shim):
 * Build/Compile, swift route: which toolchain/build.sh target and arguments each OpenWrt
   ARCH/CPU_TYPE gets (a recording build.sh stub, a fake TARGET_CC and Swift toolchain), the
   $(error) for targets it lacks, the check for a missing Swift toolchain, what Build/Prepare
   copies; portable route (DDHCPD_ROUTE=portable, or auto without Swift or a Swift target): the
   release tarball from DL_DIR checked against PKG_HASH and built with TARGET_CC and
   TARGET_CFLAGS/TARGET_LDFLAGS only;
 * the .ipk packed by tools/build-ipk.sh from the binary given as argv[1]: outer format, members,
   paths, modes, owners, the ddhcpdctl symlink, conffiles, maintainer scripts, control fields,
   Installed-Size against the data, the binary byte for byte — read back with
   tools/ipk-inspect.py and, independently, with GNU tar;
 * the hook dispatcher /etc/ddhcpd.hook.
Usage: test_package.py BINARY [LABEL] [--run]; with --run the packed binary is also started from
the unpacked package: ddhcpd -V, and ddhcpdctl through its symlink."""
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.normpath(os.path.join(HERE, "..", "ddhcpd"))
TOOLS = os.path.normpath(os.path.join(HERE, "..", "tools"))
SHIM = os.path.join(TOOLS, "sdk-shim")
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

from testlib import finish, report, write


# ---------------------------------------------------------------- Build/Compile

BUILD_SH_STUB = """#!/bin/sh
# records how the package calls toolchain/build.sh
printf '%s\\n' "$@" > build-args
echo "${PATH%%:*}" > build-path
pwd > build-cwd
while [ $# -gt 0 ]; do
	case "$1" in --out) out=$2; shift ;; esac
	shift
done
mkdir -p "$out"
"""
FAKE_CC = """#!/bin/sh
[ "$1" = -print-libgcc-file-name ] && echo /opt/fake-toolchain/lib/gcc/x-openwrt-linux-musl/12.3.0/libgcc.a
"""


def compile_case(label, variables, want_target=None, want_error=None, log_limit="3",
                 swift_ok=True, ccache=False):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        write(os.path.join(src, "Package.swift"), "// stand-in\n")
        write(os.path.join(src, "Sources", "ddhcpd", "main.swift"), "// stand-in\n")
        write(os.path.join(src, "toolchain", "build.sh"), BUILD_SH_STUB, 0o755)
        for junk in (".git/HEAD", ".build/debug.yaml", ".build-arm/x", "out/x86_64/ddhcpd", "dist/old.ipk"):
            write(os.path.join(src, junk), "junk\n")
        swift = os.path.join(tmp, "swift")
        if swift_ok:
            write(os.path.join(swift, "usr", "bin", "swiftc"), "#!/bin/sh\n", 0o755)
        cc = os.path.join(tmp, "bin", "x-openwrt-linux-musl-gcc")
        write(cc, FAKE_CC, 0o755)
        work = os.path.join(tmp, "work")
        # with CONFIG_CCACHE, OpenWrt's TARGET_CC is a wrapper and TARGET_CC_NOCACHE the compiler
        compilers = ["TARGET_CC=ccache_cc", "TARGET_CC_NOCACHE=" + cc] if ccache else ["TARGET_CC=" + cc]
        cmd = ["make", "-s", "-C", PKG, "TOPDIR=" + SHIM, "SHIM_WORK=" + work,
               "DDHCPD_SOURCE_DIR=" + src, "SWIFT_TOOLCHAIN=" + swift,
               "TOOLCHAIN_DIR=/opt/fake-toolchain"] + compilers + ["%s=%s" % kv for kv in variables.items()]
        proc = subprocess.run(cmd + ["shim-compile"], capture_output=True, text=True, timeout=60)
        build = os.path.join(work, "build", "ddhcpd-0.1.0")
        problems = []
        if want_error:
            if proc.returncode == 0 or want_error not in proc.stderr:
                problems.append("expected failure mentioning %r, got rc=%d stderr=%r"
                                % (want_error, proc.returncode, proc.stderr))
            if os.path.exists(os.path.join(build, "build-args")):
                problems.append("toolchain/build.sh ran anyway")
        else:
            if proc.returncode != 0:
                problems.append("make failed rc=%d: %s" % (proc.returncode, proc.stderr))
            else:
                args = open(os.path.join(build, "build-args")).read().splitlines()
                want = [want_target, "--sysroot", "/opt/fake-toolchain", "--target-cc", cc,
                        "--libgcc-dir", "/opt/fake-toolchain/lib/gcc/x-openwrt-linux-musl/12.3.0",
                        "--log-limit", log_limit, "--out", build + "/out"]
                if want_target in ("mips", "mipsel") and variables.get("CONFIG_USE_MIPS16"):
                    want += ["--isa", "mips16"]
                if args != want:
                    problems.append("build.sh args:\n    got  %r\n    want %r" % (args, want))
                path_head = open(os.path.join(build, "build-path")).read().strip()
                if path_head != swift + "/usr/bin":
                    problems.append("PATH starts with %r, want the Swift toolchain" % path_head)
                if open(os.path.join(build, "build-cwd")).read().strip() != build:
                    problems.append("build.sh not run in PKG_BUILD_DIR")
                for copied in ("Package.swift", "Sources/ddhcpd/main.swift", "toolchain/build.sh"):
                    if not os.path.exists(os.path.join(build, copied)):
                        problems.append("Build/Prepare did not copy %s" % copied)
                for left_out in (".git", ".build", ".build-arm", "out/x86_64/ddhcpd", "dist"):
                    if os.path.exists(os.path.join(build, left_out)):
                        problems.append("Build/Prepare copied %s" % left_out)
    report("Build/Compile: " + label, problems)


compile_case("x86_64", {"ARCH": "x86_64"}, "x86_64")
compile_case("aarch64 cortex-a53", {"ARCH": "aarch64", "CPU_TYPE": "cortex-a53"}, "aarch64")
compile_case("aarch64 generic", {"ARCH": "aarch64", "CPU_TYPE": "generic"}, "aarch64")
for cpu, subtype in (("cortex-a7", "neon-vfpv4"), ("cortex-a9", "vfpv3-d16"), ("cortex-a15", "neon-vfpv4"),
                     ("cortex-a53", "neon-vfpv4"), ("cortex-a8", "vfpv3")):
    compile_case("arm %s+%s (hard-float)" % (cpu, subtype),
                 {"ARCH": "arm", "CPU_TYPE": cpu, "CPU_SUBTYPE": subtype}, "armv7")
compile_case("mips 24kc (ath79), MIPS16", {"ARCH": "mips", "CPU_TYPE": "24kc", "CONFIG_USE_MIPS16": "y"}, "mips")
compile_case("mipsel 24kc (ramips mt76x8), MIPS16", {"ARCH": "mipsel", "CPU_TYPE": "24kc", "CONFIG_USE_MIPS16": "y"}, "mipsel")
# A target without the mips16 feature (CONFIG_USE_MIPS16 unset) gets plain MIPS32 code.
compile_case("mipsel 24kc without MIPS16 (CONFIG_USE_MIPS16 unset)", {"ARCH": "mipsel", "CPU_TYPE": "24kc"}, "mipsel")
compile_case("CONFIG_CCACHE: the compiler, not the ccache wrapper", {"ARCH": "x86_64"}, "x86_64", ccache=True)
compile_case("log limit from CONFIG_DDHCPD_LOG_LIMIT", {"ARCH": "x86_64", "CONFIG_DDHCPD_LOG_LIMIT": "1"},
             "x86_64", log_limit="1")
# The swift route exists for these targets only; DDHCPD_ROUTE=swift elsewhere stops with a hint.
for label, variables in (("arm cortex-a7 soft-float", {"ARCH": "arm", "CPU_TYPE": "cortex-a7", "CONFIG_SOFT_FLOAT": "y"}),
                         ("arm arm926ej-s (ARMv5)", {"ARCH": "arm", "CPU_TYPE": "arm926ej-s"}),
                         ("arm arm1176jzf-s (ARMv6)", {"ARCH": "arm", "CPU_TYPE": "arm1176jzf-s", "CPU_SUBTYPE": "vfp"}),
                         ("i386", {"ARCH": "i386", "CPU_TYPE": "pentium4"}),
                         ("mips64", {"ARCH": "mips64", "CPU_TYPE": "octeonplus"}),
                         ("powerpc", {"ARCH": "powerpc", "CPU_TYPE": "464fp"}),
                         ("riscv64", {"ARCH": "riscv64"})):
    compile_case("swift route unsupported: " + label, dict(variables, DDHCPD_ROUTE="swift"),
                 want_error="ddhcpd: the swift route does not support ARCH=%s" % variables["ARCH"])
compile_case("no Swift toolchain", {"ARCH": "x86_64", "DDHCPD_ROUTE": "swift"},
             want_error="no Swift toolchain at SWIFT_TOOLCHAIN=", swift_ok=False)
compile_case("DDHCPD_ROUTE=bogus", {"ARCH": "x86_64", "DDHCPD_ROUTE": "bogus"},
             want_error="DDHCPD_ROUTE=bogus: use auto, portable or swift")


# The portable route: a stand-in release tarball in DL_DIR whose Makefile records how it is built.
TARBALL_MAKEFILE = """all:
\tprintf '%s\\n' '$(CC)' '$(CFLAGS)' '$(LDFLAGS)' '$(STATIC)' '$(MALLOC)' '$(LOG_LIMIT)' > make-vars
\tcp $(CC) ddhcpd
"""


def portable_case(label, variables, swift_ok=True, hash_ok=True, log_limit="3"):
    import tarfile
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        write(os.path.join(src, "Package.swift"), "// stand-in\n")
        swift = os.path.join(tmp, "swift")
        if swift_ok:
            write(os.path.join(swift, "usr", "bin", "swiftc"), "#!/bin/sh\n", 0o755)
        top = os.path.join(tmp, "ddhcpd-0.1.0")
        write(os.path.join(top, "Makefile"), TARBALL_MAKEFILE)
        dl = os.path.join(tmp, "dl")
        os.makedirs(dl)
        tarball = os.path.join(dl, "ddhcpd-0.1.0.tar.gz")
        with tarfile.open(tarball, "w:gz") as t:
            t.add(top, arcname="ddhcpd-0.1.0")
        digest = hashlib.sha256(open(tarball, "rb").read()).hexdigest()
        cc = os.path.join(tmp, "bin", "x-openwrt-linux-musl-gcc")
        write(cc, FAKE_CC, 0o755)
        work = os.path.join(tmp, "work")
        cmd = ["make", "-s", "-C", PKG, "TOPDIR=" + SHIM, "SHIM_WORK=" + work, "DL_DIR=" + dl,
               "DDHCPD_SOURCE_DIR=" + src, "SWIFT_TOOLCHAIN=" + swift, "TARGET_CC=" + cc,
               "TARGET_CFLAGS=-Os -pipe -mcpu=8540", "TARGET_LDFLAGS=-L/opt/fake/lib",
               "DDHCPD_RELEASE_HASH=" + (digest if hash_ok else "0" * 64)] + ["%s=%s" % kv for kv in variables.items()]
        proc = subprocess.run(cmd + ["shim-compile"], capture_output=True, text=True, timeout=60)
        build = os.path.join(work, "build", "ddhcpd-0.1.0")
        problems = []
        if not hash_ok:
            if proc.returncode == 0 or "Hash mismatch" not in proc.stderr:
                problems.append("a tarball with the wrong sha256 was accepted: rc=%d %r" % (proc.returncode, proc.stderr))
        elif proc.returncode != 0:
            problems.append("make failed rc=%d: %s" % (proc.returncode, proc.stderr))
        else:
            got = open(os.path.join(build, "make-vars")).read().splitlines()
            want = [cc, "-Os -pipe -mcpu=8540", "-L/opt/fake/lib", "1", "1", log_limit]
            if got != want:
                problems.append("tarball make got %r, want %r" % (got, want))
            binary = subprocess.run(["make", "-s", "-C", PKG] + cmd[4:] + ["shim-var-DDHCPD_BINARY"],
                                    capture_output=True, text=True, timeout=30).stdout.strip()
            if binary != os.path.join(build, "ddhcpd") or not os.path.exists(binary):
                problems.append("DDHCPD_BINARY is %r, not the tarball build's ddhcpd" % binary)
    report("portable route: " + label, problems)


for label, variables in (("powerpc 8540 (mpc85xx)", {"ARCH": "powerpc", "CPU_TYPE": "8540"}),
                         ("arm arm926ej-s (kirkwood, ARMv5)", {"ARCH": "arm", "CPU_TYPE": "arm926ej-s", "CONFIG_SOFT_FLOAT": "y"}),
                         ("arm arm1176jzf-s (bcm2708, ARMv6)", {"ARCH": "arm", "CPU_TYPE": "arm1176jzf-s", "CPU_SUBTYPE": "vfp"}),
                         ("i386 pentium-mmx (x86-legacy)", {"ARCH": "i386", "CPU_TYPE": "pentium-mmx"}),
                         ("mips64 octeonplus", {"ARCH": "mips64", "CPU_TYPE": "octeonplus"}),
                         ("x86_64 with DDHCPD_ROUTE=portable", {"ARCH": "x86_64", "DDHCPD_ROUTE": "portable"})):
    portable_case(label, variables)
portable_case("x86_64, auto, no Swift toolchain", {"ARCH": "x86_64"}, swift_ok=False)
portable_case("wrong PKG_HASH", {"ARCH": "powerpc"}, hash_ok=False)
# The tarball's Makefile gets the configured limit (and stops if its C was generated with another).
portable_case("CONFIG_DDHCPD_LOG_LIMIT=1 passed to the tarball's make",
              {"ARCH": "powerpc", "CONFIG_DDHCPD_LOG_LIMIT": "1"}, log_limit="1")


def log_limit_defaults_agree():
    """The Kconfig default and the Makefile's fallback are one number: the release tarball's limit."""
    text = open(os.path.join(PKG, "Makefile")).read()
    kconfig = re.search(r"config DDHCPD_LOG_LIMIT\n(?:\t\t.*\n)*?\t\tdefault (\d)", text)
    fallback = re.search(r"^DDHCPD_LOG_LIMIT:=.*,(\d)\)$", text, re.M)
    problems = [] if kconfig and fallback and kconfig.group(1) == fallback.group(1) else [
        "Kconfig default %s, fallback %s" % (kconfig and kconfig.group(1), fallback and fallback.group(1))]
    report("log limit: Kconfig default = Makefile fallback (the tarball's limit)", problems)


log_limit_defaults_agree()


def metadata_scan_unsupported():
    """OpenWrt scans every package with DUMP=1 for every target: that must not hit the $(error)."""
    proc = subprocess.run(["make", "-s", "-C", PKG, "TOPDIR=" + SHIM, "ARCH=powerpc", "DUMP=1",
                           "shim-var-PKG_NAME"], capture_output=True, text=True, timeout=30)
    report("metadata scan (DUMP=1) on an unsupported target does not fail",
           [] if proc.returncode == 0 and proc.stdout.strip() == "ddhcpd" else
           ["rc=%d out=%r err=%r" % (proc.returncode, proc.stdout, proc.stderr)])


metadata_scan_unsupported()

# ---------------------------------------------------------------- the .ipk


def elf_machine(path):
    with open(path, "rb") as f:
        head = f.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


def run_unpacked(root):
    """The binary as installed: ddhcpd -V prints the revision line; ddhcpdctl (the symlink) is the
    control client: with no daemon behind the socket it says so and exits 255."""
    problems = []
    sbin = os.path.join(root, "usr", "sbin")
    proc = subprocess.run([os.path.join(sbin, "ddhcpd"), "-V"], capture_output=True, text=True, timeout=10)
    if proc.returncode != 0 or not proc.stdout.startswith("Revision:"):
        problems.append("ddhcpd -V: rc=%d out=%r err=%r" % (proc.returncode, proc.stdout, proc.stderr))
    sock = os.path.join(root, "no-daemon.sock")
    proc = subprocess.run([os.path.join(sbin, "ddhcpdctl"), "-C", sock, "-b"], capture_output=True,
                          text=True, timeout=10)
    if proc.returncode != 255 or sock not in proc.stderr:
        problems.append("ddhcpdctl -C %s -b: rc=%d err=%r (want 255 and the socket named)"
                        % (sock, proc.returncode, proc.stderr))
    return problems


def ipk_case(binary, binary_label, run):
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dist")
        proc = subprocess.run([os.path.join(TOOLS, "build-ipk.sh"), "--binary", binary, "--arch", "x86_64",
                               "--out", out], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
        if proc.returncode != 0:
            report("ipk: build-ipk.sh", ["rc=%d %s" % (proc.returncode, proc.stderr)])
            return
        ipk = proc.stdout.strip().splitlines()[-1]
        if os.path.basename(ipk) != "ddhcpd_0.1.0-1_x86_64.ipk":
            problems.append("file name %r" % os.path.basename(ipk))
        inspect = subprocess.run([sys.executable, os.path.join(TOOLS, "ipk-inspect.py"), ipk],
                                 capture_output=True, text=True, timeout=60)
        if inspect.returncode != 0:
            report("ipk: ipk-inspect.py", ["rc=%d %s" % (inspect.returncode, inspect.stderr)])
            return
        info = json.loads(inspect.stdout)

        # Independent reader: GNU tar on the outer archive and on data.tar.gz.
        unpack = os.path.join(tmp, "unpack")
        os.mkdir(unpack)
        subprocess.run(["tar", "-xzf", ipk, "-C", unpack], check=True)
        listing = subprocess.run(["tar", "-tzvf", os.path.join(unpack, "data.tar.gz")],
                                 capture_output=True, text=True, check=True).stdout
        root = os.path.join(tmp, "root")
        os.mkdir(root)
        subprocess.run(["tar", "-xzf", os.path.join(unpack, "data.tar.gz"), "-C", root], check=True)
        shipped_binary = open(os.path.join(root, "usr", "sbin", "ddhcpd"), "rb").read()
        original = open(binary, "rb").read()
        if run:
            problems += run_unpacked(root)

    if info["outer"] != "tar.gz":
        problems.append("outer format %r, want tar.gz (OpenWrt's ipkg-build)" % info["outer"])
    if info["members"] != ["./debian-binary", "./data.tar.gz", "./control.tar.gz"]:
        problems.append("outer members %r" % info["members"])
    if info["debian_binary"] != "2.0\n":
        problems.append("debian-binary %r" % info["debian_binary"])

    want_data = {
        ".": ("dir", "0755", None),
        "./etc": ("dir", "0755", None),
        "./etc/config": ("dir", "0755", None),
        "./etc/config/ddhcpd": ("file", "0600", None),
        "./etc/ddhcpd.d": ("dir", "0755", None),
        "./etc/ddhcpd.hook": ("file", "0755", None),
        "./etc/init.d": ("dir", "0755", None),
        "./etc/init.d/ddhcpd": ("file", "0755", None),
        "./usr": ("dir", "0755", None),
        "./usr/sbin": ("dir", "0755", None),
        "./usr/sbin/ddhcpd": ("file", "0755", None),
        "./usr/sbin/ddhcpdctl": ("symlink", "0777", "ddhcpd"),
    }
    got_data = {e["path"]: (e["type"], e["mode"], e["link"]) for e in info["data"]}
    if got_data != want_data:
        problems.append("data entries:\n    got  %r\n    want %r" % (got_data, want_data))
    if [e["path"] for e in info["data"]] != sorted(want_data):
        problems.append("data entries not in name order: %r" % [e["path"] for e in info["data"]])
    if any(e["owner"] != "0:0" for e in info["data"]):
        problems.append("entries not owned by 0:0")
    sizes = {e["path"]: e["size"] for e in info["data"]}
    for path, source in (("./etc/init.d/ddhcpd", "files/ddhcpd.init"), ("./etc/config/ddhcpd", "files/ddhcpd.config"),
                         ("./etc/ddhcpd.hook", "files/ddhcpd.hook")):
        if sizes.get(path) != os.path.getsize(os.path.join(PKG, source)):
            problems.append("%s size %r differs from %s" % (path, sizes.get(path), source))
    if shipped_binary != original:
        problems.append("packed binary differs from %s" % binary)
    if "./usr/sbin/ddhcpdctl -> ddhcpd" not in listing:
        problems.append("GNU tar does not show the ddhcpdctl symlink:\n%s" % listing)
    if "-rw------- 0/0" not in listing or "./etc/config/ddhcpd" not in listing:
        problems.append("GNU tar listing lacks the 0600 config:\n%s" % listing)

    control = info["control"]
    want_fields = {"Package": "ddhcpd", "Version": "0.1.0-1", "Architecture": "x86_64", "License": "MIT",
                   "LicenseFiles": "LICENSE", "Section": "net"}
    for field, value in want_fields.items():
        if control.get(field) != value:
            problems.append("control %s = %r, want %r" % (field, control.get(field), value))
    for field in ("Maintainer", "Description"):
        if not control.get(field):
            problems.append("control has no %s" % field)
    if "Depends" in control:
        problems.append("static binary should depend on nothing, control says Depends: %s" % control["Depends"])
    if control.get("Installed-Size") != str(info["data_tar_size"]):
        problems.append("Installed-Size %r != uncompressed data.tar size %d"
                        % (control.get("Installed-Size"), info["data_tar_size"]))
    if info["data_tar_size"] < len(original):
        problems.append("data.tar (%d bytes) smaller than the binary (%d)" % (info["data_tar_size"], len(original)))
    if info["conffiles"] != ["/etc/config/ddhcpd"]:
        problems.append("conffiles %r" % info["conffiles"])
    if info["scripts"] != {"postinst": "0755", "prerm": "0755"}:
        problems.append("maintainer scripts %r" % info["scripts"])
    report("ipk: %s packed, read back%s (x86_64, ELF machine %s, sha256 %s…)"
           % (binary_label, " and run" if run else "", elf_machine(binary),
              hashlib.sha256(original).hexdigest()[:12]), problems)


def hook_dispatcher():
    """/etc/ddhcpd.hook runs every executable in the hook dir in name order with the same
    arguments, skips non-executables, survives a failing hook, and exits 0."""
    with tempfile.TemporaryDirectory() as tmp:
        hook_dir = os.path.join(tmp, "ddhcpd.d")
        record = os.path.join(tmp, "record")
        write(os.path.join(hook_dir, "20-second"), '#!/bin/sh\necho "20 $*" >> %s\n' % record, 0o755)
        write(os.path.join(hook_dir, "10-first"), '#!/bin/sh\necho "10 $*" >> %s\nexit 3\n' % record, 0o755)
        write(os.path.join(hook_dir, "30-not-executable"), '#!/bin/sh\necho "30 $*" >> %s\n' % record, 0o644)
        bindir = os.path.join(tmp, "bin")
        write(os.path.join(bindir, "logger"), '#!/bin/sh\necho "logger $*" >> %s\n' % record, 0o755)
        env = dict(os.environ, DDHCPD_HOOK_DIR=hook_dir, PATH=bindir + ":" + os.environ["PATH"])
        problems = []
        # exactly as the daemon runs it: /bin/sh -e -- COMMAND ACTION ARGS...
        for shell in (["busybox", "sh"], ["dash"]):
            if os.path.exists(record):
                os.remove(record)
            proc = subprocess.run(shell + ["-e", "--", os.path.join(PKG, "files", "ddhcpd.hook"),
                                           "lease", "10.0.0.212", "02:00:00:00:00:01"],
                                  env=env, capture_output=True, text=True, timeout=10)
            lines = open(record).read().splitlines() if os.path.exists(record) else []
            want = ["10 lease 10.0.0.212 02:00:00:00:00:01",
                    "logger -t ddhcpd-hook %s/10-first lease failed (status 3)" % hook_dir,
                    "20 lease 10.0.0.212 02:00:00:00:00:01"]
            if proc.returncode != 0 or lines != want:
                problems.append("%s: rc=%d lines %r, want %r" % (" ".join(shell), proc.returncode, lines, want))
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        proc = subprocess.run(["busybox", "sh", "-e", "--", os.path.join(PKG, "files", "ddhcpd.hook"), "endlearning"],
                              env=dict(env, DDHCPD_HOOK_DIR=empty), capture_output=True, text=True, timeout=10)
        if proc.returncode != 0 or proc.stdout or proc.stderr:
            problems.append("empty hook dir: rc=%d out=%r err=%r" % (proc.returncode, proc.stdout, proc.stderr))
    report("hook dispatcher /etc/ddhcpd.hook", problems)


hook_dispatcher()
args = [a for a in sys.argv[1:] if a != "--run"]
if args:
    ipk_case(args[0], args[1] if len(args) > 1 else args[0], "--run" in sys.argv[1:])
else:
    report("ipk: no binary given (usage: test_package.py BINARY [LABEL])", ["no binary"])

finish("ddhcpd package")
