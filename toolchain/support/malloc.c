/* A small allocator for the static ddhcpd, replacing musl's mallocng (about 7-8 KB of code on
 * aarch64, measured with toolchain/bytes.py) with well under 1 KB.
 *
 * The daemon allocates its tables once at start and nothing per packet in steady state,
 * so a simple design fits: power-of-two size classes (32 B ... 64 KiB per block, header
 * included) carved from mmap'd chunks and recycled through one free list per class; anything
 * larger is its own mmap and goes back with munmap. Single-threaded (the daemon has one
 * thread; musl's internal callers run in that thread too). Memory is never
 * returned to the kernel for small blocks — fine for a daemon with a flat working set.
 *
 * Every block starts with a 16-byte header, so payloads are 16-byte aligned. An allocation
 * with a larger alignment (posix_memalign/aligned_alloc) over-allocates and puts a second
 * header in front of the aligned payload that points back to the block.
 *
 * All entry points musl or the Swift runtime may call are defined here, so mallocng is never
 * extracted from libc.a; if some other libc member still needs one of its symbols, the link
 * fails with a duplicate symbol instead of mixing two heaps. Built with -DDDHCPD_MALLOC_PREFIX=x
 * the functions are named x_malloc etc. (host stress test: Tests/targets/malloc-test.c). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#ifdef DDHCPD_MALLOC_PREFIX
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define NAME(f) CAT(DDHCPD_MALLOC_PREFIX, f)
#else
#define NAME(f) f
#endif

#define HEADER 16u
#define MIN_SHIFT 5u   /* smallest block: 32 bytes (16 payload) */
#define CLASSES 12u    /* 32 B ... 64 KiB */
#define LARGE 0xffu    /* class value of a block that is its own mapping */
#define ALIGNED 0xfeu  /* class value of an alignment header (points back to the block) */
#define CHUNK (256u * 1024u)

struct header {
    uint32_t cls;     /* size class, LARGE or ALIGNED */
    uint32_t back;    /* ALIGNED: distance back to the block's payload */
    size_t length;    /* LARGE: length of the mapping */
};
_Static_assert(sizeof(struct header) <= HEADER, "header must fit in 16 bytes");

static void *free_list[CLASSES];
static unsigned char *bump, *bump_end;

static void *map(size_t length) {
    void *p = mmap(0, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? 0 : p;
}

static struct header *header_of(void *payload) { return (struct header *)((unsigned char *)payload - HEADER); }

/* The allocation of malloc; *recycled tells whether the block came from a free list (memory
 * written before) rather than from a fresh mapping (zero), which calloc needs to know. */
static void *allocate(size_t n, int *recycled) {
    *recycled = 0;
    if (n > ((size_t)1 << (MIN_SHIFT + CLASSES - 1)) - HEADER) {
        size_t length = (n + HEADER + 4095u) & ~(size_t)4095u;
        if (length < n) { errno = ENOMEM; return 0; } /* overflow */
        struct header *h = map(length);
        if (!h) { errno = ENOMEM; return 0; }
        h->cls = LARGE;
        h->length = length;
        return (unsigned char *)h + HEADER;
    }
    unsigned cls = 0;
    while (((size_t)1 << (MIN_SHIFT + cls)) - HEADER < n) cls++;
    void *p = free_list[cls];
    if (p) {
        free_list[cls] = *(void **)p;
        *recycled = 1;
        return p;
    }
    size_t size = (size_t)1 << (MIN_SHIFT + cls);
    if ((size_t)(bump_end - bump) < size) {
        unsigned char *chunk = map(CHUNK);
        if (!chunk) { errno = ENOMEM; return 0; }
        bump = chunk;
        bump_end = chunk + CHUNK;
    }
    struct header *h = (struct header *)bump;
    bump += size;
    h->cls = cls;
    return (unsigned char *)h + HEADER;
}

void *NAME(malloc)(size_t n) {
    int recycled;
    return allocate(n, &recycled);
}

void NAME(free)(void *p) {
    if (!p) return;
    struct header *h = header_of(p);
    if (h->cls == ALIGNED) {
        p = (unsigned char *)p - h->back;
        h = header_of(p);
    }
    if (h->cls == LARGE) {
        munmap(h, h->length);
        return;
    }
    *(void **)p = free_list[h->cls];
    free_list[h->cls] = p;
}

size_t NAME(malloc_usable_size)(void *p) {
    if (!p) return 0;
    struct header *h = header_of(p);
    size_t skip = 0;
    if (h->cls == ALIGNED) {
        skip = h->back;
        h = header_of((unsigned char *)p - skip);
    }
    size_t total = h->cls == LARGE ? h->length : (size_t)1 << (MIN_SHIFT + h->cls);
    return total - HEADER - skip;
}

/* A block that is its own mapping or comes from the untouched rest of a chunk is zero already;
 * only a recycled block is cleared. Not writing fresh memory keeps the pages of a large table
 * non-resident until they are used (the block table, docs/decisions.md D-222). */
void *NAME(calloc)(size_t count, size_t size) {
    size_t n = count * size;
    if (size && n / size != count) { errno = ENOMEM; return 0; }
    int recycled;
    void *p = allocate(n, &recycled);
    if (p && recycled) memset(p, 0, n);
    return p;
}

void *NAME(realloc)(void *p, size_t n) {
    if (!p) return NAME(malloc)(n);
    size_t have = NAME(malloc_usable_size)(p);
    if (n <= have) return p;
    void *q = NAME(malloc)(n);
    if (q) {
        memcpy(q, p, have);
        NAME(free)(p);
    }
    return q;
}

void *NAME(aligned_alloc)(size_t align, size_t n) {
    if (align == 0 || (align & (align - 1))) { errno = EINVAL; return 0; }
    if (align <= HEADER) return NAME(malloc)(n);
    if (n + align < n) { errno = ENOMEM; return 0; }
    unsigned char *p = NAME(malloc)(n + align); /* room for the aligned payload and its header */
    if (!p) return 0;
    unsigned char *q = (unsigned char *)(((uintptr_t)p + align) & ~(uintptr_t)(align - 1));
    struct header *h = header_of(q);
    h->cls = ALIGNED;
    h->back = (uint32_t)(q - p);
    return q;
}

int NAME(posix_memalign)(void **out, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
    void *p = NAME(aligned_alloc)(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

void *NAME(memalign)(size_t align, size_t n) { return NAME(aligned_alloc)(align, n); }

#ifndef DDHCPD_MALLOC_PREFIX
/* musl's internal names for the same functions (its own callers use these). */
void *__libc_malloc(size_t n) { return malloc(n); }
void __libc_free(void *p) { free(p); }
void *__libc_calloc(size_t count, size_t size) { return calloc(count, size); }
void *__libc_realloc(void *p, size_t n) { return realloc(p, n); }
#endif
