/* musl (before 1.2.6) has no arc4random_buf; the Embedded Swift stdlib calls it to seed hashing
 * (Dictionary/Set) and for SystemRandomNumberGenerator. Filled from getrandom(2) without
 * blocking: a router starting ddhcpd early at boot may not have an initialised entropy pool yet,
 * and a hash seed must not hold up start-up. Then (or on a kernel without getrandom) the bytes
 * come from /dev/urandom, which never blocks. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/random.h>
#include <unistd.h>

static int from_urandom(unsigned char *p, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            close(fd);
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    close(fd);
    return 0;
}

void arc4random_buf(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, GRND_NONBLOCK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == ENOSYS) && from_urandom(p, n) == 0)
                return;
            __builtin_trap(); /* no entropy source at all: refuse to hand out predictable bytes */
        }
        p += r;
        n -= (size_t)r;
    }
}
