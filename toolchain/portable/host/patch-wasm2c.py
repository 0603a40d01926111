#!/usr/bin/env python3
"""Replaces wasm2c 1.0.32's linear-memory prelude in the generated C with host/wasm-mem.h
(little-endian memory on every host, byte swaps on big-endian, masking bounds check).
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
src = re.sub(r"\b(i32|i64|f32|f64)_(load|store)(\w*)\(&instance->w2c_memory, \(u64\)\((w2c_\w+)\)(?: \+ (\d+u))?",
             lambda m: "%s_%s%s_at(%s, %s" % (m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) or "0u"), src)
# The stack pointer is the module's only global (wasm-ld --stack-first: the stack is
# [0, DDHCP_WASM_STACK_BYTES) and grows down). Its writes go through DDHCP_SET_STACK_POINTER,
# which traps on overflow in bounds-check mode (wasm-mem.h).
if not re.search(r"static void init_globals\(Z_ddhcpd_instance_t\* instance\) \{\n  instance->w2c_g0 = \d+u;\n\}", src) \
        or re.search(r"w2c_g[1-9]", src):
    sys.exit("patch-wasm2c.py: %s: expected exactly one global, the stack pointer" % path)
src = re.sub(r"instance->w2c_g0 = (w2c_\w+);", r"DDHCP_SET_STACK_POINTER(instance->w2c_g0, \1);", src)
src = '#include "ddhcpd_wasm_config.h"\n' + src
open(path, "w", encoding="utf-8").write(src)
