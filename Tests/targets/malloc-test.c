/* Host stress test of toolchain/support/malloc.c (built with the prefix t_ so that it does not
 * replace the host's malloc): random malloc/calloc/realloc/aligned/free sequences with up to
 * LIVE blocks alive; every block is filled with its own byte pattern, which must be intact when
 * it is checked, reallocated or freed (so overlapping blocks are detected), payloads must have
 * the requested alignment and at least the requested usable size, calloc memory must be zero.
 *   cc -O1 -o /tmp/t Tests/targets/malloc-test.c && /tmp/t
 * Prints "malloc-test: N operations ok" or the first failure, exits non-zero on failure. */
#define DDHCPD_MALLOC_PREFIX t
#include "../../toolchain/support/malloc.c"

#include <stdio.h>
#include <stdlib.h>

#define LIVE 1000
#define OPS 200000

struct block { unsigned char *p; size_t n; unsigned char fill; };
static struct block live[LIVE];
static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static size_t random_size(void) {
    switch (next() % 16) {
    case 0: return 0;
    case 1: case 2: return next() % 16 + 1;
    case 3: case 4: case 5: case 6: return next() % 256;
    case 7: case 8: case 9: case 10: case 11: return next() % 4096;
    case 12: case 13: return 60000 + next() % 10000;   /* around the small/large boundary */
    case 14: return next() % 65536;
    default: return next() % 300000;                    /* large: its own mapping */
    }
}

static int fail(const char *what, int i) {
    fprintf(stderr, "malloc-test: FAIL %s (slot %d, size %zu)\n", what, i, live[i].n);
    return 1;
}

/* Every byte of small blocks; of big ones the first and last KiB and every 61st byte. */
static int intact(int i, size_t n) {
    for (size_t k = 0; k < n; k += (n > 4096 && k >= 1024 && k + 1024 < n) ? 61 : 1)
        if (live[i].p[k] != (unsigned char)(live[i].fill + k * 7)) return 0;
    return 1;
}

static void paint(int i) {
    for (size_t k = 0; k < live[i].n; k++) live[i].p[k] = (unsigned char)(live[i].fill + k * 7);
}

int main(void) {
    for (long op = 0; op < OPS; op++) {
        int i = (int)(next() % LIVE);
        struct block *b = &live[i];
        if (b->p) {
            if (!intact(i, b->n)) return fail("pattern overwritten", i);
            if (next() % 3 == 0) { /* realloc keeps the common prefix */
                size_t n = random_size();
                unsigned char *q = t_realloc(b->p, n);
                if (!q) return fail("realloc returned NULL", i);
                if (((uintptr_t)q & 15) != 0) return fail("realloc misaligned", i);
                b->p = q;
                if (!intact(i, n < b->n ? n : b->n)) return fail("realloc lost contents", i);
                b->n = n;
                if (t_malloc_usable_size(q) < n) return fail("realloc usable size", i);
                paint(i);
            } else {
                t_free(b->p);
                b->p = 0;
            }
            continue;
        }
        size_t n = random_size();
        size_t align = 16;
        unsigned kind = (unsigned)(next() % 4);
        if (kind == 0) {
            b->p = t_malloc(n);
        } else if (kind == 1) {
            b->p = t_calloc(1, n);
            if (b->p)
                for (size_t k = 0; k < n; k++)
                    if (b->p[k]) return fail("calloc memory not zero", i);
        } else {
            static const size_t aligns[] = {8, 16, 32, 64, 128, 4096};
            align = aligns[next() % 6];
            void *p = 0;
            if (kind == 2) { if (t_posix_memalign(&p, align, n) != 0) p = 0; }
            else p = t_aligned_alloc(align, n);
            b->p = p;
            if (align < 16) align = 16;
        }
        b->n = n;
        if (!b->p) return fail("allocation returned NULL", i);
        if (((uintptr_t)b->p & (align - 1)) != 0) return fail("misaligned payload", i);
        if (t_malloc_usable_size(b->p) < n) return fail("usable size too small", i);
        b->fill = (unsigned char)next();
        paint(i);
    }
    for (int i = 0; i < LIVE; i++)
        if (live[i].p) {
            if (!intact(i, live[i].n)) return fail("pattern overwritten at the end", i);
            t_free(live[i].p);
        }
    /* Edge cases: bad alignments, overflowing sizes, NULL. */
    void *p;
    if (t_posix_memalign(&p, 3, 10) != EINVAL || t_posix_memalign(&p, 2, 10) != EINVAL) return fail("bad alignment accepted", 0);
    if (t_aligned_alloc(24, 10) != 0) return fail("aligned_alloc(24) accepted", 0);
    if (t_malloc((size_t)-8) != 0 || t_calloc((size_t)1 << 40, (size_t)1 << 40) != 0) return fail("overflow not refused", 0);
    t_free(0);
    if (t_malloc_usable_size(0) != 0) return fail("usable size of NULL", 0);
    printf("malloc-test: %d operations ok\n", OPS);
    return 0;
}
