#!/usr/bin/env python3
"""Replaces wasm2c 1.0.32's linear-memory prelude in the generated C with host/wasm-mem.h
(little-endian memory on every host, byte swaps on big-endian, masking bounds check), and
cuts what costs flash without doing anything here (D-130): the instance argument of the
module's functions, the split data segments, the arguments of offset-0 accesses and traps.
Fails loudly if the expected text is not there (another wasm2c version)."""
import re
import sys

path = sys.argv[1]
src = open(path, encoding="utf-8").read()
start = src.find("#define RANGE_CHECK(mem, offset, len)")
last = "DEFINE_STORE(i64_store32, u32, u64)\n"
end = src.find(last)
if start < 0 or end < start or src.count(last) != 1:
    sys.exit("patch-wasm2c.py: %s does not have wasm2c 1.0.32's memory prelude" % path)
src = src[:start] + '#include "wasm-mem.h"\n' + src[end + len(last):]
# Loads and stores: NAME(&instance->w2c_memory, (u64)(VAR) + OFFu, ...) -> NAME_at(VAR, OFFu, ...)
# (the u64 sum only feeds the bounds check, which takes address and offset apart).
# (wasm2c writes some offsets without the u suffix.)
src = re.sub(r"\b(i32|i64|f32|f64)_(load|store)(\w*)\(&instance->w2c_memory, \(u64\)\((w2c_\w+)\)(?: \+ (\d+)u?)?(?=[,)])",
             lambda m: "%s_%s%s_at(%s, %su" % (m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) or "0"), src)
# The stack pointer is the module's only global (wasm-ld --stack-first: the stack is
# [0, DDHCP_WASM_STACK_BYTES) and grows down). Its writes go through DDHCP_SET_STACK_POINTER,
# which traps on overflow in bounds-check mode (wasm-mem.h).
if not re.search(r"static void init_globals\(Z_ddhcpd_instance_t\* instance\) \{\n  instance->w2c_g0 = \d+u;\n\}", src) \
        or re.search(r"w2c_g[1-9]", src):
    sys.exit("patch-wasm2c.py: %s: expected exactly one global, the stack pointer" % path)
src = re.sub(r"instance->w2c_g0 = (w2c_\w+);", r"DDHCP_SET_STACK_POINTER(instance->w2c_g0, \1);", src)

# Size (D-130): the parts of wasm2c's output that cost flash without doing anything here.
# 1. Accesses at offset 0 call the one-argument helpers (wasm-mem.h): half of all accesses.
src = re.sub(r"\b(\w+_(?:load|store)\w*)_at\((w2c_\w+), 0u(?=[,)])", r"\1_at0(\2", src)
# 2. One module instance (rt.c's ddhcp_wasm_module): the module's own functions take no
#    instance pointer (one argument less at every call, one register less in every function);
#    inside them `instance` names that object. Exports keep wasm2c's signature for the host.
internal = set(re.findall(r"^static \w+ (w2c_\w+)\(Z_ddhcpd_instance_t\*", src, re.M))
if not internal:
    sys.exit("patch-wasm2c.py: %s: no internal functions taking the instance" % path)
names = "|".join(sorted(internal, key=len, reverse=True))
drop_first = lambda m: m.group(1) + ("" if m.group(2) == ", " else "void)")
src = re.sub(r"^(static \w+ (?:%s)\()Z_ddhcpd_instance_t\*(?: instance)?(, |\))" % names, drop_first, src, flags=re.M)
src = re.sub(r"\b(%s)\(instance(, |\))" % names, lambda m: m.group(1) + "(" + ("" if m.group(2) == ", " else ")"), src)
# Indirect calls: the table's functions are internal ones too (no module_instance argument).
def indirect(m):
    fn_type = m.group(1).replace("(*)(void*, ", "(*)(").replace("(*)(void*)", "(*)(void)")
    return "CALL_INDIRECT(instance->w2c_T0, %s, %s, %s, %s" % (fn_type, m.group(2), m.group(3), m.group(4) or "")
src, n_indirect = re.subn(r"CALL_INDIRECT\(instance->w2c_T0, (\w+ \(\*\)\([^)]*\)), (\d+), (w2c_\w+), "
                          r"instance->w2c_T0\.data\[\3\]\.module_instance(?:, )?([^;]*)", indirect, src)
if n_indirect != src.count("CALL_INDIRECT(instance->"):
    sys.exit("patch-wasm2c.py: %s: an indirect call of an unexpected form" % path)
# Imports: the host wrappers (imports.c) ignore the env instance.
src = re.sub(r"(?<=\()instance->Z_env_instance\b(?=[,)])", "(struct Z_env_instance_t*)0", src)
defs = list(re.finditer(r"^static \w+ (?:%s)\([^;]*\{$" % names, src, re.M))
first, end = defs[0].start(), src.find("\n}\n", defs[-1].start()) + 3
if re.search(r"^\S.*\(Z_ddhcpd_instance_t\* instance", src[first:end], re.M):
    sys.exit("patch-wasm2c.py: %s: a function among the internal ones still takes the instance" % path)
src = src[:first] + "#define instance (&ddhcp_wasm_module)\n" + src[first:end] + "#undef instance\n" + src[end:]
src = src.replace('#include "wasm-mem.h"\n', '#include "wasm-mem.h"\nextern Z_ddhcpd_instance_t ddhcp_wasm_module;\n', 1)
# 3. The data segments (wasm-opt's memory packing splits them, ~110 LOAD_DATA calls): one
#    segment, the gaps between them (a few bytes each) zero-filled as memory already is.
arrays = {m.group(1): bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(2)))
          for m in re.finditer(r"static const u8 (data_segment_data_w2c_d\d+)\[\] = \{\n(.*?)\};\n", src, re.S)}
loads = re.findall(r"  LOAD_DATA\(instance->w2c_memory, (\d+)u, (data_segment_data_w2c_d\d+), (\d+)\);\n", src)
if not loads or len(loads) != len(arrays) or any(len(arrays[a]) != int(n) for _, a, n in loads):
    sys.exit("patch-wasm2c.py: %s: data segments of an unexpected form" % path)
segments = sorted((int(o), arrays[a]) for o, a, _ in loads)
base = segments[0][0]
blob = bytearray(segments[-1][0] + len(segments[-1][1]) - base)
for o, data in segments:
    if any(blob[o - base:o - base + len(data)]):
        sys.exit("patch-wasm2c.py: %s: overlapping data segments" % path)
    blob[o - base:o - base + len(data)] = data
if len(blob) > 2 * sum(len(d) for _, d in segments) + 4096:
    sys.exit("patch-wasm2c.py: %s: data segments far apart (merging would cost more than it saves)" % path)
src = re.sub(r"static const u8 data_segment_data_w2c_d\d+\[\] = \{\n.*?\};\n\n?", "", src, flags=re.S)
rows = ",\n  ".join(", ".join("0x%02x" % b for b in blob[i:i + 16]) for i in range(0, len(blob), 16))
src = re.sub(r"(  LOAD_DATA\(instance->w2c_memory, \d+u, data_segment_data_w2c_d\d+, \d+\);\n)+",
             "  LOAD_DATA(instance->w2c_memory, %du, ddhcp_wasm_data, %d);\n" % (base, len(blob)), src, count=1)
src = src.replace("static void init_memories(", "static const u8 ddhcp_wasm_data[] = {\n  %s\n};\n\nstatic void init_memories(" % rows, 1)
if "data_segment_data_w2c_d" in src:
    sys.exit("patch-wasm2c.py: %s: data segments left after merging" % path)
# 4. unreachable: a call without arguments (wasm-mem.h; ~450 sites).
if src.count("#define UNREACHABLE TRAP(UNREACHABLE)\n") != 1:
    sys.exit("patch-wasm2c.py: %s: no UNREACHABLE definition" % path)
src = src.replace("#define UNREACHABLE TRAP(UNREACHABLE)\n", "#define UNREACHABLE ddhcp_wasm_unreachable()\n")
src = '#include "ddhcpd_wasm_config.h"\n' + src
open(path, "w", encoding="utf-8").write(src)
