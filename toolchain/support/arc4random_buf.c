/* musl (before 1.2.6) has no arc4random_buf; the Embedded Swift stdlib calls it to seed hashing
 * (Dictionary/Set) and for SystemRandomNumberGenerator. Filled from getrandom(2), which blocks
 * only until the kernel's pool is initialised once after boot. */
#include <errno.h>
#include <stddef.h>
#include <sys/random.h>

void arc4random_buf(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            __builtin_trap(); /* no entropy source at all: refuse to hand out predictable bytes */
        }
        p += r;
        n -= (size_t)r;
    }
}
