#!/usr/bin/env python3
"""Generates the host side of the module's imports (imports.c) from the C headers.

Every import of the wasm module (listed in the wasm2c header) is a function of ddhcp_system.h
(or wasm/host_extra.h). For each one this writes the C function wasm2c expects, which turns
linear-memory offsets into host pointers (bounds-checked) and calls the real C implementation.
It also defines the entry point the C main calls (ddhcpd_main), which starts the module.

Parameter rules (ddhcp_system.h: integers and byte pointers only):
  integer / float            passed through with a cast
  byte pointer + length      a pointer to bytes followed by a length parameter (len, size, cap,
                             count, n, *_len, ...) spans that many bytes
  byte array  T name[N]      spans N bytes; so does a byte pointer whose name ends in N
                             (addr16, from16) or that SPANS below lists
  const byte pointer         otherwise a NUL-terminated string (the NUL must lie inside memory)
  integer array + length     (int32_t *tokens, int32_t cap) byte-swapped in place on big-endian
  pointer to one integer     (int32_t *, uint16_t *, ...) copied in and out little-endian
  pointer to pointers        only the argv the module was started with (-> the native argv)
  returned byte pointer      a string: argv strings map to their copies in linear memory,
                             others are copied into linear memory
Anything else (variadics, structs, other pointer returns) stops the build with a message
naming the function: extend these rules rather than guess.
"""
import json
import re
import subprocess
import sys

BYTE_TYPES = {"char", "signed char", "unsigned char", "void", "_Bool"}
SCALAR_SIZES = {"short": 2, "unsigned short": 2, "int": 4, "unsigned int": 4,
                "long long": 8, "unsigned long long": 8, "signed char": 1, "unsigned char": 1,
                "char": 1, "_Bool": 1}
INT_TYPES = set(SCALAR_SIZES) | {"long", "unsigned long"}
# Byte pointers whose size only the header's comment states: (function, parameter) -> bytes.
SPANS = {("ddhcp_if_mac", "mac"): 6}
LENGTH_NAME = re.compile(r"^(len|length|size|cap|capacity|count|n|max|buflen|bufsize)$|_(len|length|size|cap|count|max)$|len$")


def fail(msg):
    sys.exit("gen-host.py: " + msg)


def mangle(name):
    """wasm2c 1.0.32 name mangling: 'Z' doubles, other non-identifier bytes become Z<hex>."""
    out = []
    for ch in name:
        if ch == "Z":
            out.append("ZZ")
        elif ch.isalnum() or ch == "_":
            out.append(ch)
        else:
            out.append("Z%02X" % ord(ch))
    return "".join(out)


TYPEDEFS = {}  # typedef name -> underlying type, from the headers' AST


def resolve(name):
    seen = 0
    while name in TYPEDEFS and seen < 16:
        name, seen = TYPEDEFS[name], seen + 1
    return name


def desugar(t):
    """The canonical type without qualifiers: 'uint8_t *' -> 'unsigned char *'."""
    q = t["qualType"].replace("const ", "").replace("volatile ", "").strip()
    base = q.rstrip("* ").strip()
    base = resolve(base).replace("const ", "").strip()
    return base + (" " + "*" * q.count("*") if "*" in q else "")


def function_decls(clang, header, include_dirs):
    cmd = [clang, "--target=wasm32", "-fsyntax-only", "-Xclang", "-ast-dump=json", "-x", "c", header]
    for d in include_dirs:
        cmd[1:1] = ["-I", d]
    ast = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    text = open(header, encoding="utf-8").read()
    decls, current_file = {}, None
    for node in ast.get("inner", []):
        if node.get("kind") == "TypedefDecl":
            TYPEDEFS[node["name"]] = (node["type"].get("desugaredQualType") or node["type"]["qualType"]).strip()
        loc = node.get("loc", {})
        loc = loc.get("expansionLoc", loc)
        if "file" in loc:
            current_file = loc["file"]
        if loc.get("includedFrom") or node.get("kind") != "FunctionDecl":
            continue
        if current_file != header or node.get("storageClass") == "static":
            continue
        if node.get("variadic"):
            fail("%s is variadic: give it a fixed parameter list" % node["name"])
        params = []
        for p in node.get("inner", []):
            if p.get("kind") != "ParmVarDecl":
                continue
            r = p["range"]
            src = text[r["begin"]["offset"]:r["end"]["offset"] + r["end"]["tokLen"]]
            m = re.search(r"\[\s*([A-Za-z0-9_]+)\s*\]\s*$", src)
            params.append({"name": p.get("name") or "arg%d" % len(params), "type": p["type"],
                           "array": m.group(1) if m else None})
        ret = node["type"]["qualType"].split("(")[0].strip()
        decls[node["name"]] = {"ret": ret, "params": params}
    return decls


def wasm_imports(wasm_header):
    """(name, wasm return type, wasm parameter types) for each 'env' import."""
    out = []
    for m in re.finditer(r"/\* import: 'env' '([^']+)' \*/\s*\n\s*(\w+) (Z_envZ_\w+)\(struct Z_env_instance_t\*(.*?)\);",
                         open(wasm_header, encoding="utf-8").read()):
        name, ret, cname, rest = m.groups()
        if cname != "Z_envZ_" + mangle(name):
            fail("unexpected wasm2c name %s for %s (wasm2c version?)" % (cname, name))
        out.append((name, ret, [a.strip() for a in rest.split(",") if a.strip()]))
    return out


def wrapper(name, wret, wparams, decl, header_of):
    params = decl["params"]
    if len(params) != len(wparams):
        fail("%s: %d parameters in %s, %d in the module" % (name, len(params), header_of, len(wparams)))
    lines, args, after = [], [], []
    for i, p in enumerate(params):
        t, q = desugar(p["type"]), p["type"]["qualType"]
        a = "a%d" % i
        if not t.endswith("*"):
            if t not in INT_TYPES and t not in ("float", "double"):
                fail("%s: parameter %s has unsupported type %s" % (name, p["name"], q))
            args.append("(%s)%s" % (q, a))
            continue
        pointee = t[:-1].strip()
        nxt = params[i + 1] if i + 1 < len(params) else None
        length_next = (nxt is not None and LENGTH_NAME.search(nxt["name"]) is not None
                       and desugar(nxt["type"]) in INT_TYPES)
        if pointee.endswith("*"):
            if not pointee[:-1].strip() in BYTE_TYPES:
                fail("%s: parameter %s (%s): only argv-style pointer arrays are supported" % (name, p["name"], q))
            args.append("(%s)ddhcp_wasm_native_argv(%s)" % (q, a))
        elif pointee in BYTE_TYPES:
            digits = re.search(r"[a-z_]([0-9]+)$", p["name"])
            if p["array"]:
                span = "(uint32_t)(%s)" % p["array"]
            elif (name, p["name"]) in SPANS:
                span = "%du" % SPANS[(name, p["name"])]
            elif length_next:
                span = "(uint32_t)a%d" % (i + 1)
            elif digits:
                span = "%su" % digits.group(1)
            elif "const" in q:
                args.append("(%s)ddhcp_host_string(%s)" % (q, a))
                continue
            else:
                fail("%s: cannot bound byte pointer %s (%s): follow it with a length parameter "
                     "(len/size/cap/...), declare it as an array [N], or add it to SPANS" % (name, p["name"], q))
            args.append("(%s)ddhcp_host_span(%s, %s)" % (q, a, span))
        elif pointee in SCALAR_SIZES and (length_next or p["array"]):
            # An array of integers: the C side works on linear memory directly (aligned), in
            # host byte order; swap the whole span in and out on big-endian.
            bits = 8 * SCALAR_SIZES[pointee]
            count = "(uint32_t)(%s)" % p["array"] if p["array"] else "(uint32_t)a%d" % (i + 1)
            lines.append("    uint8_t *s%d = ddhcp_host_array(%s, %s, %d);" % (i, a, count, bits // 8))
            lines.append("    ddhcp_swap_array%d(s%d, %s);" % (bits, i, count))
            args.append("(%s)(void *)s%d" % (q, i))
            after.append("    ddhcp_swap_array%d(s%d, %s);" % (bits, i, count))
        elif pointee in SCALAR_SIZES:
            bits = 8 * SCALAR_SIZES[pointee]
            vt = re.sub(r"\s*\*\s*$", "", q.replace("const ", "")).strip()
            lines.append("    %s v%d = 0;" % (vt, i))
            lines.append("    if (%s) v%d = (%s)ddhcp_ld%d(ddhcp_host_span(%s, %d));" % (a, i, vt, bits, a, bits // 8))
            args.append("%s ? &v%d : NULL" % (a, i))
            if "const" not in q:
                after.append("    if (%s) ddhcp_st%d(ddhcp_host_span(%s, %d), (uint%d_t)v%d);" % (a, bits, a, bits // 8, bits, i))
        else:
            fail("%s: parameter %s (%s) is neither bytes nor one fixed-size integer" % (name, p["name"], q))
    rtype = decl["ret"]
    returns_string = rtype.endswith("*")
    if returns_string and resolve(rtype.replace("const ", "").rstrip("* ").strip()) not in BYTE_TYPES:
        fail("%s returns %s: only byte strings can be returned across the module boundary" % (name, rtype))
    sig = ", ".join(["struct Z_env_instance_t *instance"] + ["%s a%d" % (w, i) for i, w in enumerate(wparams)])
    out = ["%s Z_envZ_%s(%s) {" % (wret, mangle(name), sig), "    (void)instance;"] + lines
    call = "%s(%s)" % (name, ", ".join(args))
    if wret == "void":
        out.append("    %s;" % call)
        out += after
    else:
        out.append("    %s r = %s;" % (rtype, call))
        out += after
        out.append("    return ddhcp_wasm_export_string(r);" if returns_string else "    return (%s)r;" % wret)
    out.append("}")
    return "\n".join(out)


def entry_from_source(name, paths):
    """The entry's prototype as the C main declares it (when no header does)."""
    for path in paths:
        m = re.search(r"^([A-Za-z_][\w \t]*?)\s*\b%s\s*\(([^)]*)\)\s*;" % name,
                      open(path, encoding="utf-8").read(), re.M)
        if m:
            params = []
            for part in m.group(2).split(","):
                pm = re.match(r"^(.*?)(\w+)\s*$", part.strip())
                params.append({"name": pm.group(2), "type": {"qualType": pm.group(1).strip()}, "array": None})
            return {"ret": m.group(1).strip(), "params": params}
    return None


def entry(name, decl):
    ps = decl["params"]
    if len(ps) != 2:
        fail("entry %s must take (argc, argv)" % name)
    plist = ", ".join("%s %s" % (p["type"]["qualType"], p["name"]) for p in ps)
    return ("%s %s(%s) {\n    return (%s)ddhcp_wasm_run((int32_t)%s, (char **)%s);\n}"
            % (decl["ret"], name, plist, decl["ret"], ps[0]["name"], ps[1]["name"]))


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--clang", required=True)
    ap.add_argument("--wasm-header", required=True)
    ap.add_argument("--entry", default="ddhcpd_main")
    ap.add_argument("--header", action="append", required=True, help="header to implement (repeat)")
    ap.add_argument("--entry-source", action="append", default=[], help="C file declaring the entry")
    ap.add_argument("-I", dest="includes", action="append", default=[])
    ap.add_argument("-o", dest="out", required=True)
    a = ap.parse_args()
    decls, origin = {}, {}
    for h in a.header:
        for n, d in function_decls(a.clang, h, a.includes).items():
            decls[n], origin[n] = d, h
    if a.entry not in decls and entry_from_source(a.entry, a.entry_source):
        decls[a.entry] = entry_from_source(a.entry, a.entry_source)
    if a.entry not in decls:
        fail("entry point %s is not declared in %s" % (a.entry, " ".join(a.header)))
    # File names only: the generated file must not depend on where the checkout lives.
    parts = ["// GENERATED by toolchain/portable/host/gen-host.py from %s: do not edit."
             % ", ".join(h.rsplit("/", 1)[-1] for h in a.header),
             "#include \"ddhcpd_wasm_config.h\"", "#include \"wasm-mem.h\"", "#include \"ddhcpd_wasm.h\""]
    parts += ["#include \"%s\"" % h.rsplit("/", 1)[-1] for h in a.header]
    parts += ["#include <stddef.h>", "#include <string.h>", "",
              "extern wasm_rt_memory_t *ddhcp_wasm_memory;",
              "int32_t ddhcp_wasm_run(int32_t argc, char **argv);",
              "char **ddhcp_wasm_native_argv(uint32_t offset);",
              "uint32_t ddhcp_wasm_export_string(const void *p);",
              "",
              "// A module address range as a host pointer; 0 stays NULL (Swift's nil).",
              "static inline uint8_t *ddhcp_host_span(uint32_t offset, uint32_t length) {",
              "    if (offset == 0) return NULL;",
              "    if ((uint64_t)offset + length > ddhcp_wasm_memory->size) wasm_rt_trap(WASM_RT_TRAP_OOB);",
              "    return ddhcp_wasm_memory->data + offset;",
              "}",
              "",
              "// An array of n integers of `width` bytes, aligned as the C side expects.",
              "static inline uint8_t *ddhcp_host_array(uint32_t offset, uint32_t n, uint32_t width) {",
              "    if (offset == 0) return NULL;",
              "    if ((offset & (width - 1)) || n > ddhcp_wasm_memory->size / width) wasm_rt_trap(WASM_RT_TRAP_OOB);",
              "    return ddhcp_host_span(offset, n * width);",
              "}",
              "",
              "#define DDHCP_SWAP_ARRAY(bits)                                                   \\",
              "    static inline void ddhcp_swap_array##bits(uint8_t *p, uint32_t n) {                 \\",
              "        if (!DDHCP_WASM_SWAP || !p) return;                                      \\",
              "        for (uint32_t i = 0; i < n; i++) {                                       \\",
              "            uint##bits##_t v;                                                    \\",
              "            memcpy(&v, p + i * (bits / 8), sizeof v);                            \\",
              "            v = ddhcp_ld##bits((const uint8_t *)&v);                             \\",
              "            memcpy(p + i * (bits / 8), &v, sizeof v);                            \\",
              "        }                                                                        \\",
              "    }",
              "DDHCP_SWAP_ARRAY(16)",
              "DDHCP_SWAP_ARRAY(32)",
              "DDHCP_SWAP_ARRAY(64)",
              "",
              "static inline const char *ddhcp_host_string(uint32_t offset) {",
              "    if (offset == 0) return NULL;",
              "    if (offset >= ddhcp_wasm_memory->size ||",
              "        !memchr(ddhcp_wasm_memory->data + offset, 0, ddhcp_wasm_memory->size - offset))",
              "        wasm_rt_trap(WASM_RT_TRAP_OOB);",
              "    return (const char *)ddhcp_wasm_memory->data + offset;",
              "}", ""]
    for name, wret, wparams in wasm_imports(a.wasm_header):
        if name not in decls:
            fail("the module imports %s, which no header declares (a missing C function?)" % name)
        parts.append(wrapper(name, wret, wparams, decls[name], origin[name]))
        parts.append("")
    parts.append(entry(a.entry, decls[a.entry]))
    open(a.out, "w", encoding="utf-8").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
