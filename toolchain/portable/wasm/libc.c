// The few C library functions the Swift code needs *inside* the wasm32 module (compiled
// freestanding for wasm32, linked into the module): memory and string primitives and a small
// size-class allocator over linear memory. Anything that talks to the OS is an import
// (wasm/host_extra.h and ddhcp_system.h) implemented by the host layer.
#include <stddef.h>
#include <stdint.h>
#include "ddhcp_system.h"
#include "host_extra.h"

void *memcpy(void *restrict d, const void *restrict s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp) {
        while (n--) *dp++ = *sp++;
    } else {
        while (n--) dp[n] = sp[n];
    }
    return d;
}

void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

int putchar(int c) {
    ddhcp_host_putchar(c);
    return c;
}

// Hashing seeds (Swift's Hasher): the daemon's own entropy call, which does not block early at
// boot; if it fails, the rest stays zero (a fixed seed only costs hash-flooding resistance).
void arc4random_buf(void *buf, size_t n) {
    int32_t got = ddhcp_random(buf, (int32_t)n);
    if (got < (int32_t)n) memset((uint8_t *)buf + (got > 0 ? got : 0), 0, n - (size_t)(got > 0 ? got : 0));
}

// Allocator: blocks of 2^k bytes (k = 4...31), a 16-byte header holding k, free lists per size
// class, fresh blocks cut from the top of linear memory (memory.grow). Tables are allocated once
// and per-packet paths do not allocate, so fragmentation is no concern; a freed block is reused
// by the next request of its class.
#define HEADER 16u
#define PAGE 65536u
extern unsigned char __heap_base;
static uintptr_t heap_top;
static void *free_lists[32];

static void *grab(unsigned k) {
    if (free_lists[k]) {
        void *p = free_lists[k];
        free_lists[k] = *(void **)p;
        return p;
    }
    if (!heap_top) heap_top = ((uintptr_t)&__heap_base + 15u) & ~(uintptr_t)15u;
    uintptr_t start = heap_top, end = start + ((uintptr_t)1 << k);
    if (end < start) return 0;
    // The top DDHCP_WASM_STACK_BYTES stay free: an overflowing stack pointer wraps there.
    if (end > DDHCP_WASM_MEM_BYTES - DDHCP_WASM_STACK_BYTES) return 0;
    uintptr_t have = __builtin_wasm_memory_size(0) * PAGE;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + PAGE - 1) / PAGE) == (size_t)-1) return 0;
    heap_top = end;
    return (void *)start;
}

static void *allocate(size_t size, size_t align) {
    if (align < 16) align = 16;
    if (size > 0x7FFFFFFFu - HEADER - align) return 0;
    size_t need = size + HEADER + (align - 16);
    unsigned k = 4;
    while (((size_t)1 << k) < need) k++;
    unsigned char *block = grab(k);
    if (!block) return 0;
    uintptr_t user = ((uintptr_t)block + HEADER + align - 1) & ~(uintptr_t)(align - 1);
    uint32_t *h = (uint32_t *)(user - 8);
    h[0] = k;
    h[1] = (uint32_t)(user - (uintptr_t)block);
    return (void *)user;
}

int posix_memalign(void **out, size_t align, size_t size) {
    void *p = allocate(size, align);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}

void *malloc(size_t size) { return allocate(size, 16); }

// A block cut from the top was never written and linear memory starts zero: only a recycled
// block is cleared, so the pages of a large table stay untouched until used (D-222).
void *calloc(size_t n, size_t size) {
    if (size && n > 0x7FFFFFFFu / size) return 0;
    uintptr_t top = heap_top;
    unsigned char *p = allocate(n * size, 16);
    if (p && (uintptr_t)p < top) memset(p, 0, n * size);
    return p;
}

void free(void *p) {
    if (!p) return;
    uint32_t *h = (uint32_t *)((uintptr_t)p - 8);
    void *block = (unsigned char *)p - h[1];
    *(void **)block = free_lists[h[0]];
    free_lists[h[0]] = block;
}

// Export for the host: room for argv in linear memory.
__attribute__((export_name("ddhcp_wasm_alloc"))) void *ddhcp_wasm_alloc(int32_t size) {
    return allocate((size_t)size, 16);
}

// Compiler runtime: 128-bit multiply (Swift's overflow-checked 64-bit arithmetic, the PRNG).
// wasm32 has no compiler-rt here; the product's low 128 bits from 32-bit halves.
typedef unsigned __int128 u128;
u128 __multi3(u128 a, u128 b) {
    uint64_t al = (uint64_t)a, ah = (uint64_t)(a >> 64), bl = (uint64_t)b, bh = (uint64_t)(b >> 64);
    uint64_t a0 = (uint32_t)al, a1 = al >> 32, b0 = (uint32_t)bl, b1 = bl >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    uint64_t lo = (mid << 32) | (uint32_t)p00;
    uint64_t hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32) + al * bh + ah * bl;
    return (u128)hi << 64 | lo;
}
