// A small malloc for the host side, compiled in with -DDDHCP_HOST_MALLOC=1 (toolchain/mips/build.sh
// does so with zig's musl, whose own allocator is ~5.5 KB of flash and weak, so this one wins).
// The host side allocates almost nothing: the wasm function table once, the C library's time
// zone string. Blocks of 2^k bytes (k = 4...16) come from 64 KB mmap chunks and go back to a
// free list per size; anything larger is its own mapping.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#if DDHCP_HOST_MALLOC
#define HEADER 16u  // keeps 16-byte alignment; holds the size class or the mapping length
#define CHUNK 65536u
#define BIG_CLASS 255u

static void *free_lists[17];
static uint8_t *chunk_next, *chunk_end;

static void *map(size_t n) {
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *malloc(size_t size) {
    if (size > SIZE_MAX / 2) return NULL;
    size_t need = size + HEADER;
    uint8_t *block;
    uint32_t k = 4;
    while (((size_t)1 << k) < need) k++;
    if (k > 16) {
        need = (need + 4095u) & ~(size_t)4095u;
        if (!(block = map(need))) return NULL;
        ((uint32_t *)block)[0] = BIG_CLASS;
        ((uint32_t *)block)[1] = (uint32_t)need;
    } else {
        if (free_lists[k]) {
            block = free_lists[k];
            free_lists[k] = *(void **)block;
        } else {
            if (!chunk_next || (size_t)(chunk_end - chunk_next) < ((size_t)1 << k)) {
                if (!(chunk_next = map(CHUNK))) return NULL;
                chunk_end = chunk_next + CHUNK;
            }
            block = chunk_next;
            chunk_next += (size_t)1 << k;
        }
        ((uint32_t *)block)[0] = k;
    }
    return block + HEADER;
}

void free(void *p) {
    if (!p) return;
    uint8_t *block = (uint8_t *)p - HEADER;
    uint32_t k = ((uint32_t *)block)[0];
    if (k == BIG_CLASS) {
        munmap(block, ((uint32_t *)block)[1]);
    } else {
        *(void **)block = free_lists[k];
        free_lists[k] = block;
    }
}

static size_t usable(void *p) {
    uint32_t *h = (uint32_t *)((uint8_t *)p - HEADER);
    return (h[0] == BIG_CLASS ? h[1] : (size_t)1 << h[0]) - HEADER;
}

void *calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / 2 / size) return NULL;
    void *p = malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t size) {
    if (!p) return malloc(size);
    if (size <= usable(p)) return p;
    void *q = malloc(size);
    if (q) {
        memcpy(q, p, usable(p));
        free(p);
    }
    return q;
}
#endif
