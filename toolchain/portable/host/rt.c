// Host runtime for the wasm2c-generated ddhcpd module: the part of wasm2c's runtime API the
// generated code uses (memory, function table, function types, traps), the host side of
// wasm/host_extra.h, and the start of the module (argv copied into linear memory). Small on
// purpose: no stdio, no exceptions, no signal handler (see wasm-mem.h for the bounds modes).
#include "ddhcpd_wasm_config.h"
#include "wasm-mem.h"
#include "ddhcpd_wasm.h"
#include "host_extra.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE_BYTES 65536u

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
#endif

static void say(const char *text) {
    ssize_t ignored = write(2, text, strlen(text));
    (void)ignored;
}

void wasm_rt_trap(wasm_rt_trap_t code) {
    static const char *const names[] = {"none", "out of bounds", "integer overflow", "division by zero",
                                        "invalid conversion", "unreachable", "bad indirect call",
                                        "exception", "stack exhausted"};
    say("ddhcpd: fatal: wasm trap: ");
    say((unsigned)code < sizeof names / sizeof names[0] ? names[code] : "?");
    say("\n");
    abort();
}

// wasm's unreachable, called without an argument from its ~450 places in the module.
void ddhcp_wasm_unreachable(void) { wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE); }

// Function types as small integers: equal signatures get equal numbers (CALL_INDIRECT compares
// them). A signature is packed into 64 bits: counts, then 3 bits per type.
static uint64_t func_types[128];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
    uint64_t sig = (uint64_t)params << 56 | (uint64_t)results << 48;
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < params + results; i++) {
        uint64_t t = (uint64_t)va_arg(ap, int) + 1;
        if (i < 16) sig ^= t << (3 * i);
        else sig = sig * 31 + t;  // more than 16 values: still distinct in practice, checked below
    }
    va_end(ap);
    if (params + results > 16) {
        say("ddhcpd: fatal: function signature too long\n");
        abort();
    }
    for (uint32_t i = 0; i < func_type_count; i++)
        if (func_types[i] == sig) return i + 1;
    if (func_type_count == sizeof func_types / sizeof func_types[0]) {
        say("ddhcpd: fatal: too many function types\n");
        abort();
    }
    func_types[func_type_count++] = sig;
    return func_type_count;
}

bool wasm_rt_is_initialized(void) { return true; }

// The module's linear memory (D-62). Its address is a link-time constant (an array in .bss), so
// an access needs no load of the memory's base and no reload after a store that could alias it.
// But only the pages the module has grown to are usable memory: at start the array's address
// range is replaced by a fresh PROT_NONE, MAP_NORESERVE mapping (address space only, no commit
// charge, every access faults), and each memory.grow makes the new pages readable and writable.
// So a 16 MiB maximum costs neither RAM nor commit, and an access past the current size faults
// like a wasm out-of-bounds trap (in mask mode too, where the masked address stays inside the
// reservation). If the kernel refuses the replacement, the array stays as it is (all usable).
#define LINEAR_ALIGN 4096u  // the usual page size (a larger one keeps the plain array)
// The slack past the maximum (mask mode: the widest access past the mask) is a whole page,
// so the reservation ends on a page boundary and never covers another variable's page.
_Static_assert(DDHCP_WASM_MEM_SLACK <= LINEAR_ALIGN, "slack larger than a page");
uint8_t ddhcp_wasm_linear[DDHCP_WASM_MEM_BYTES + LINEAR_ALIGN] __attribute__((aligned(LINEAR_ALIGN)));
static bool linear_reserved;  // the PROT_NONE reservation is in place

static void reserve_linear(uint32_t initial_bytes) {
    // With larger pages the address is not page-aligned: mmap fails, the plain array stays.
    void *p = mmap(ddhcp_wasm_linear, sizeof ddhcp_wasm_linear, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    if (p != (void *)ddhcp_wasm_linear) return;
    linear_reserved = true;
    if (initial_bytes && mprotect(ddhcp_wasm_linear, initial_bytes, PROT_READ | PROT_WRITE) != 0) {
        say("ddhcpd: fatal: cannot map the module's memory\n");
        abort();
    }
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *memory, uint32_t initial_pages, uint32_t max_pages) {
    if ((uint64_t)max_pages * PAGE_BYTES != DDHCP_WASM_MEM_BYTES || initial_pages > max_pages) {
        say("ddhcpd: fatal: module memory does not match DDHCP_WASM_MEM_BYTES\n");
        abort();
    }
    reserve_linear(initial_pages * PAGE_BYTES);
    memory->data = ddhcp_wasm_linear;
    memory->pages = initial_pages;
    memory->max_pages = max_pages;
    memory->size = initial_pages * PAGE_BYTES;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *memory, uint32_t delta) {
    uint32_t old_pages = memory->pages;
    if (delta > memory->max_pages - old_pages) return UINT32_MAX;
    // The new pages become usable; without memory for them the grow fails (as wasm's does).
    if (linear_reserved && delta &&
        mprotect(ddhcp_wasm_linear + (size_t)old_pages * PAGE_BYTES, (size_t)delta * PAGE_BYTES, PROT_READ | PROT_WRITE) != 0)
        return UINT32_MAX;
    memory->pages += delta;
    memory->size = memory->pages * PAGE_BYTES;
    return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t *memory) { (void)memory; }

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max_elements) {
    table->size = elements;
    table->max_size = max_elements;
    table->data = calloc(elements ? elements : 1, sizeof(wasm_rt_funcref_t));
    if (!table->data) {
        say("ddhcpd: fatal: out of memory\n");
        abort();
    }
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { free(table->data); }

// host_extra.h
void ddhcp_host_putchar(int32_t c) {
    unsigned char b = (unsigned char)c;
    ssize_t ignored = write(1, &b, 1);
    (void)ignored;
}

// The module, its memory for the import wrappers (imports.c), and the start.
// The one instance: the generated functions name it directly (host/patch-wasm2c.py).
Z_ddhcpd_instance_t ddhcp_wasm_module;
wasm_rt_memory_t *ddhcp_wasm_memory = &ddhcp_wasm_module.w2c_memory;
static int32_t native_argc;
static char **native_argv;
static uint32_t module_argv;  // where the copy of argv lives in linear memory

// The module passes its argv back (getopt): the C side gets the real one.
char **ddhcp_wasm_native_argv(uint32_t offset) {
    if (offset == 0) return NULL;
    if (offset != module_argv) wasm_rt_trap(WASM_RT_TRAP_OOB);
    return native_argv;
}

// A C string returned to the module (getopt's optarg, a version text) as a module address:
// inside an argv string it is the same place in the copy; anything else is copied into linear
// memory, reusing the copy made the last time the same pointer came back.
uint32_t ddhcp_wasm_export_string(const void *p) {
    static struct { const void *native; uint32_t offset, capacity; } copies[16];
    static uint32_t next;
    if (!p) return 0;
    const uint8_t *mem = ddhcp_wasm_module.w2c_memory.data;
    for (int32_t i = 0; i < native_argc; i++) {
        const char *a = native_argv[i];
        if ((const char *)p >= a && (const char *)p <= a + strlen(a))
            return ddhcp_ld32(mem + module_argv + 4u * (uint32_t)i) + (uint32_t)((const char *)p - a);
    }
    uint32_t n = (uint32_t)strlen(p) + 1u, slot = 0;
    while (slot < next && copies[slot].native != p) slot++;
    if (slot == next || copies[slot].capacity < n) {
        if (slot == next) slot = next < 16 ? next++ : 15;
        copies[slot].native = p;
        copies[slot].capacity = n;
        copies[slot].offset = Z_ddhcpdZ_ddhcp_wasm_alloc(&ddhcp_wasm_module, n);
        if (copies[slot].offset == 0) wasm_rt_trap(WASM_RT_TRAP_OOB);
    }
    memcpy(ddhcp_wasm_module.w2c_memory.data + copies[slot].offset, p, n);
    return copies[slot].offset;
}

int32_t ddhcp_wasm_run(int32_t argc, char **argv) {
    // Catch a host build whose byte order disagrees with the load/store layer.
    const uint32_t probe = 0x01020304u;
    uint8_t bytes[4];
    ddhcp_st32(bytes, probe);
    if (bytes[0] != 4 || ddhcp_ld32(bytes) != probe) {
        say("ddhcpd: fatal: host byte order misconfigured\n");
        abort();
    }
    Z_ddhcpd_init_module();
    Z_ddhcpd_instantiate(&ddhcp_wasm_module, (struct Z_env_instance_t *)&ddhcp_wasm_module);

    // argv: an array of argc + 1 little-endian 32-bit offsets, then the strings.
    uint32_t total = 4u * ((uint32_t)argc + 1u);
    for (int32_t i = 0; i < argc; i++) total += (uint32_t)strlen(argv[i]) + 1u;
    uint32_t base = Z_ddhcpdZ_ddhcp_wasm_alloc(&ddhcp_wasm_module, total);
    if (base == 0 || (uint64_t)base + total > ddhcp_wasm_module.w2c_memory.size) {
        say("ddhcpd: fatal: no memory for arguments\n");
        abort();
    }
    uint8_t *mem = ddhcp_wasm_module.w2c_memory.data;
    uint32_t text = base + 4u * ((uint32_t)argc + 1u);
    for (int32_t i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        ddhcp_st32(mem + base + 4u * (uint32_t)i, text);
        memcpy(mem + text, argv[i], n);
        text += (uint32_t)n;
    }
    ddhcp_st32(mem + base + 4u * (uint32_t)argc, 0);
    native_argc = argc;
    native_argv = argv;
    module_argv = base;
    return (int32_t)Z_ddhcpdZ_ddhcpd_main(&ddhcp_wasm_module, (uint32_t)argc, base);
}
