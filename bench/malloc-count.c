// LD_PRELOAD shim that counts heap allocation calls of a dynamically linked process.
//
// Counts malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign and free. The counters
// live in a file mapped MAP_SHARED (path in $BENCH_MALLOC_FILE), so a benchmark reads them at any
// moment without signals or cooperation from the process: 8 little-endian uint64 in the order
// above plus a total of allocating calls. The real allocator is reached through glibc's
// __libc_* entry points (no dlsym, which itself allocates).
//
// Build: cc -O2 -shared -fPIC -o malloc-count.so malloc-count.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

enum { C_MALLOC, C_CALLOC, C_REALLOC, C_POSIX_MEMALIGN, C_ALIGNED_ALLOC, C_MEMALIGN, C_FREE, C_ALLOCS, C_N };

static uint64_t early[C_N];            // counts before the constructor mapped the file
static uint64_t *counters = early;

static void bump(int which) {
    __atomic_fetch_add(&counters[which], 1, __ATOMIC_RELAXED);
    if (which != C_FREE) __atomic_fetch_add(&counters[C_ALLOCS], 1, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void map_counters(void) {
    const char *path = getenv("BENCH_MALLOC_FILE");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (ftruncate(fd, sizeof(uint64_t) * C_N) != 0) { close(fd); return; }
    void *p = mmap(NULL, sizeof(uint64_t) * C_N, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return;
    memcpy(p, early, sizeof early);
    counters = p;
}

void *malloc(size_t n) { bump(C_MALLOC); return __libc_malloc(n); }
void *calloc(size_t k, size_t n) { bump(C_CALLOC); return __libc_calloc(k, n); }
void *realloc(void *p, size_t n) { bump(C_REALLOC); return __libc_realloc(p, n); }
void free(void *p) { if (p) bump(C_FREE); __libc_free(p); }
void *memalign(size_t a, size_t n) { bump(C_MEMALIGN); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { bump(C_ALIGNED_ALLOC); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    bump(C_POSIX_MEMALIGN);
    if (a < sizeof(void *) || (a & (a - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(a, n);
    if (!p && n) return ENOMEM;
    *out = p;
    return 0;
}
