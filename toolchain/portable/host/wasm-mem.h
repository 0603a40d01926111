// Linear-memory access for the wasm2c-generated module. Replaces wasm2c's own load/store prelude
// (host/patch-wasm2c.py cuts it out of the generated C and includes this file instead).
//
// Linear memory stays little-endian on every host, as wasm defines it: on a big-endian CPU each
// load/store is an unaligned access plus a byte swap. So byte buffers pass between the module and
// the host (sockets, strings) without copies, and wasm2c's WABT_BIG_ENDIAN mode (which stores
// memory byte-reversed) must NOT be used.
//
// Bounds (DDHCP_WASM_BOUNDS, from ddhcpd_wasm_config.h):
//   1 mask  (default) every address is ANDed with DDHCP_WASM_MEM_MASK; memory is reserved at its
//           maximum size (a power of two) plus a slack page, so no access can leave it. An
//           access with a small static offset (< DDHCP_WASM_SMALL_OFFSET, nearly all) masks the
//           base address and adds the offset after (the compiler then masks a base once for all
//           fields read through it; D-130): it lands at most a page past the maximum, in the
//           slack, which is PROT_NONE like every page past the current size (rt.c). A stray
//           access faults or stays inside the module's own memory; the host stays safe.
//   2 check every access compares against the current size and traps (wasm semantics; larger).
//   0 none  unchecked: an address past the reservation reaches other memory (measurements only).
#ifndef DDHCP_WASM_MEM_H
#define DDHCP_WASM_MEM_H
#include "ddhcpd_wasm_config.h"
#include <stdint.h>
#include <string.h>
#include "wasm-rt.h"

#if defined(WABT_BIG_ENDIAN) && WABT_BIG_ENDIAN
#error "do not build with WABT_BIG_ENDIAN: linear memory is kept little-endian (see wasm-mem.h)"
#endif
#if !defined(__BYTE_ORDER__) || !defined(__ORDER_BIG_ENDIAN__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "the compiler does not say the target byte order (__BYTE_ORDER__): cannot build the wasm host"
#endif
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define DDHCP_WASM_SWAP 1
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define DDHCP_WASM_SWAP 0
#else
#error "unsupported byte order"
#endif
#if defined(DDHCP_WASM_EXPECT_BIG_ENDIAN) && DDHCP_WASM_EXPECT_BIG_ENDIAN != DDHCP_WASM_SWAP
#error "DDHCP_WASM_EXPECT_BIG_ENDIAN does not match the compiler's target byte order: wrong -target/-EB/-EL?"
#endif

#define DDHCP_WASM_MEM_MASK ((uint32_t)(DDHCP_WASM_MEM_BYTES - 1u))
#define DDHCP_WASM_MEM_SLACK 4096u  // reserved past the maximum (rt.c): one page
// (a & mask) + offset + 8 bytes stays inside maximum + slack.
#define DDHCP_WASM_SMALL_OFFSET (DDHCP_WASM_MEM_SLACK - 8u)

// How the generated code calls the accessors (DDHCP_WASM_INLINE, measured with the SDK
// stand-in, D-130): 1 inline where an access is one or two instructions anyway (x86, PowerPC's
// byte-reversed loads, AArch64), 0 out of line where a call is smaller than the access (MIPS16e
// and Thumb: no unaligned loads, few registers).
#ifndef DDHCP_WASM_INLINE
#if defined(__i386__) || defined(__x86_64__) || defined(__powerpc__) || defined(__aarch64__)
#define DDHCP_WASM_INLINE 1
#else
#define DDHCP_WASM_INLINE 0
#endif
#endif
#if DDHCP_WASM_INLINE
#define DDHCP_WASM_ACCESS static inline __attribute__((always_inline))
#else
#define DDHCP_WASM_ACCESS static __attribute__((noinline))
#endif

#if DDHCP_WASM_SWAP
#define DDHCP_LE16(x) __builtin_bswap16(x)
#define DDHCP_LE32(x) __builtin_bswap32(x)
#define DDHCP_LE64(x) __builtin_bswap64(x)
#else
#define DDHCP_LE16(x) (x)
#define DDHCP_LE32(x) (x)
#define DDHCP_LE64(x) (x)
#endif

// Linear memory is one static array (rt.c; pages past the current size are PROT_NONE): its address is a link-time constant, so an access
// needs no load of the memory's base and no reload after a store (which could alias it).
extern uint8_t ddhcp_wasm_linear[];
extern wasm_rt_memory_t *ddhcp_wasm_memory;

// Host address of module address a + static offset off, for an access of n bytes.
#if DDHCP_WASM_BOUNDS == 1
#define DDHCP_WASM_AT(a, off, n)                                                            \
    ((uint32_t)(off) < DDHCP_WASM_SMALL_OFFSET                                              \
         ? &ddhcp_wasm_linear[((uint32_t)(a) & DDHCP_WASM_MEM_MASK) + (uint32_t)(off)]      \
         : &ddhcp_wasm_linear[((uint32_t)(a) + (uint32_t)(off)) & DDHCP_WASM_MEM_MASK])
#elif DDHCP_WASM_BOUNDS == 2
#define DDHCP_WASM_AT(a, off, n)                                                           \
    (UNLIKELY((uint64_t)(a) + (off) + (n) > ddhcp_wasm_memory->size) ? (TRAP(OOB), ddhcp_wasm_linear) \
                                                                     : &ddhcp_wasm_linear[(uint64_t)(a) + (off)])
#elif DDHCP_WASM_BOUNDS == 0
#define DDHCP_WASM_AT(a, off, n) (&ddhcp_wasm_linear[(uint64_t)(a) + (off)])
#else
#error "DDHCP_WASM_BOUNDS must be 0, 1 or 2"
#endif

// Raw little-endian accessors by width, shared with the host wrappers (host/gen-host.py).
static inline uint8_t ddhcp_ld8(const uint8_t *p) { return *p; }
static inline uint16_t ddhcp_ld16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return DDHCP_LE16(v); }
static inline uint32_t ddhcp_ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return DDHCP_LE32(v); }
static inline uint64_t ddhcp_ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return DDHCP_LE64(v); }
static inline void ddhcp_st8(uint8_t *p, uint8_t v) { *p = v; }
static inline void ddhcp_st16(uint8_t *p, uint16_t v) { v = DDHCP_LE16(v); memcpy(p, &v, 2); }
static inline void ddhcp_st32(uint8_t *p, uint32_t v) { v = DDHCP_LE32(v); memcpy(p, &v, 4); }
static inline void ddhcp_st64(uint8_t *p, uint64_t v) { v = DDHCP_LE64(v); memcpy(p, &v, 8); }

#ifdef TRAP  // the part below is only for the generated module (wasm2c defines TRAP first)
// wasm's unreachable (host/patch-wasm2c.py: UNREACHABLE), in rt.c.
__attribute__((noreturn, cold)) void ddhcp_wasm_unreachable(void);

// Stack pointer writes. The stack is [0, DDHCP_WASM_STACK_BYTES); an overflowing pointer wraps
// to the top of the 4 GiB space. check: trap. mask: it lands in the top DDHCP_WASM_STACK_BYTES
// of linear memory, which the module's allocator never hands out (wasm/libc.c).
#if DDHCP_WASM_BOUNDS == 2
#define DDHCP_SET_STACK_POINTER(g, v)                                          \
    do {                                                                       \
        if (UNLIKELY((u32)(v) > DDHCP_WASM_STACK_BYTES)) TRAP(EXHAUSTION);      \
        (g) = (v);                                                             \
    } while (0)
#else
#define DDHCP_SET_STACK_POINTER(g, v) ((g) = (v))
#endif

#define RANGE_CHECK(mem, offset, len) \
    if (UNLIKELY(offset + (uint64_t)len > mem->size)) TRAP(OOB);
#define MEMCHECK(mem, a, t) RANGE_CHECK(mem, a, sizeof(t))

// Data segments at instantiation (always checked: runs once).
#define LOAD_DATA(m, o, i, s)          \
    do {                               \
        RANGE_CHECK((&m), o, s);       \
        memcpy(&(m.data[o]), i, s);    \
    } while (0)

#define DDHCP_W8 8
#define DDHCP_W16 16
#define DDHCP_W32 32
#define DDHCP_W64 64
// name_at(a, off) and name_at0(a) (offset 0: half of all accesses): what host/patch-wasm2c.py
// rewrites the generated calls to (32-bit address arithmetic, no memory argument);
// name(mem, addr): wasm2c's own form, for anything left. Out of line (DDHCP_WASM_INLINE 0):
// thousands of call sites, each then only passes (a, off) or (a).
#define DDHCP_DEFINE_LOAD(name, w, t2, t3)                                  \
    DDHCP_WASM_ACCESS t3 name##_at(u32 a, u32 off) {                        \
        uint##w##_t v = ddhcp_ld##w(DDHCP_WASM_AT(a, off, w / 8));          \
        t2 r; memcpy(&r, &v, sizeof r);                                     \
        return (t3)r;                                                       \
    }                                                                       \
    DDHCP_WASM_ACCESS t3 name##_at0(u32 a) {                                \
        uint##w##_t v = ddhcp_ld##w(DDHCP_WASM_AT(a, 0, w / 8));            \
        t2 r; memcpy(&r, &v, sizeof r);                                     \
        return (t3)r;                                                       \
    }                                                                       \
    static inline t3 name(wasm_rt_memory_t *mem, u64 addr) {               \
        (void)mem;                                                          \
        if (DDHCP_WASM_BOUNDS != 1 && UNLIKELY(addr > UINT32_MAX)) TRAP(OOB); \
        return name##_at((u32)addr, 0);                                     \
    }
#define DDHCP_DEFINE_STORE(name, w, t2)                                     \
    DDHCP_WASM_ACCESS void name##_at(u32 a, u32 off, t2 value) {           \
        uint##w##_t v;                                                      \
        if (sizeof(t2) == w / 8) memcpy(&v, &value, sizeof v);              \
        else v = (uint##w##_t)value;                                        \
        ddhcp_st##w(DDHCP_WASM_AT(a, off, w / 8), v);                       \
    }                                                                       \
    DDHCP_WASM_ACCESS void name##_at0(u32 a, t2 value) {                   \
        uint##w##_t v;                                                      \
        if (sizeof(t2) == w / 8) memcpy(&v, &value, sizeof v);              \
        else v = (uint##w##_t)value;                                        \
        ddhcp_st##w(DDHCP_WASM_AT(a, 0, w / 8), v);                         \
    }                                                                       \
    static inline void name(wasm_rt_memory_t *mem, u64 addr, t2 value) {   \
        (void)mem;                                                          \
        if (DDHCP_WASM_BOUNDS != 1 && UNLIKELY(addr > UINT32_MAX)) TRAP(OOB); \
        name##_at((u32)addr, 0, value);                                     \
    }

DDHCP_DEFINE_LOAD(i32_load, 32, u32, u32)
DDHCP_DEFINE_LOAD(i64_load, 64, u64, u64)
DDHCP_DEFINE_LOAD(f32_load, 32, f32, f32)
DDHCP_DEFINE_LOAD(f64_load, 64, f64, f64)
DDHCP_DEFINE_LOAD(i32_load8_s, 8, s8, u32)
DDHCP_DEFINE_LOAD(i64_load8_s, 8, s8, u64)
DDHCP_DEFINE_LOAD(i32_load8_u, 8, u8, u32)
DDHCP_DEFINE_LOAD(i64_load8_u, 8, u8, u64)
DDHCP_DEFINE_LOAD(i32_load16_s, 16, s16, u32)
DDHCP_DEFINE_LOAD(i64_load16_s, 16, s16, u64)
DDHCP_DEFINE_LOAD(i32_load16_u, 16, u16, u32)
DDHCP_DEFINE_LOAD(i64_load16_u, 16, u16, u64)
DDHCP_DEFINE_LOAD(i64_load32_s, 32, s32, u64)
DDHCP_DEFINE_LOAD(i64_load32_u, 32, u32, u64)
DDHCP_DEFINE_STORE(i32_store, 32, u32)
DDHCP_DEFINE_STORE(i64_store, 64, u64)
DDHCP_DEFINE_STORE(f32_store, 32, f32)
DDHCP_DEFINE_STORE(f64_store, 64, f64)
DDHCP_DEFINE_STORE(i32_store8, 8, u32)
DDHCP_DEFINE_STORE(i32_store16, 16, u32)
DDHCP_DEFINE_STORE(i64_store8, 8, u64)
DDHCP_DEFINE_STORE(i64_store16, 16, u64)
DDHCP_DEFINE_STORE(i64_store32, 32, u64)
#if DDHCP_WASM_INLINE
// Inline: offset 0 is the general accessor with a constant (as a wrapper function it came out
// 7 KB larger on PowerPC: gcc optimises the nested inlined form worse).
#define i32_load_at0(a) i32_load_at(a, 0u)
#define i64_load_at0(a) i64_load_at(a, 0u)
#define f32_load_at0(a) f32_load_at(a, 0u)
#define f64_load_at0(a) f64_load_at(a, 0u)
#define i32_load8_s_at0(a) i32_load8_s_at(a, 0u)
#define i64_load8_s_at0(a) i64_load8_s_at(a, 0u)
#define i32_load8_u_at0(a) i32_load8_u_at(a, 0u)
#define i64_load8_u_at0(a) i64_load8_u_at(a, 0u)
#define i32_load16_s_at0(a) i32_load16_s_at(a, 0u)
#define i64_load16_s_at0(a) i64_load16_s_at(a, 0u)
#define i32_load16_u_at0(a) i32_load16_u_at(a, 0u)
#define i64_load16_u_at0(a) i64_load16_u_at(a, 0u)
#define i64_load32_s_at0(a) i64_load32_s_at(a, 0u)
#define i64_load32_u_at0(a) i64_load32_u_at(a, 0u)
#define i32_store_at0(a, v) i32_store_at(a, 0u, v)
#define i64_store_at0(a, v) i64_store_at(a, 0u, v)
#define f32_store_at0(a, v) f32_store_at(a, 0u, v)
#define f64_store_at0(a, v) f64_store_at(a, 0u, v)
#define i32_store8_at0(a, v) i32_store8_at(a, 0u, v)
#define i32_store16_at0(a, v) i32_store16_at(a, 0u, v)
#define i64_store8_at0(a, v) i64_store8_at(a, 0u, v)
#define i64_store16_at0(a, v) i64_store16_at(a, 0u, v)
#define i64_store32_at0(a, v) i64_store32_at(a, 0u, v)
#endif
#endif
#endif
