/*
 * Native Linux implementation of ddhcp_system.h (glibc or musl). Everything here is a thin
 * wrapper: the daemon's logic lives in Swift. See the header for the contract.
 */
#define _GNU_SOURCE
#include "ddhcp_system.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef DDHCPD_REVISION
#define DDHCPD_REVISION ""
#endif

/* ---- errors ---------------------------------------------------------------------------------- */

/* Native errno <-> portable code. Written out even where they coincide so that a host whose
 * numbering differs (MIPS) only needs its own errno.h. */
static const struct { int native; int32_t portable; } error_table[] = {
    {EPERM, DDHCP_EPERM}, {ENOENT, DDHCP_ENOENT}, {EINTR, DDHCP_EINTR}, {EIO, DDHCP_EIO},
    {ENXIO, DDHCP_ENXIO}, {EBADF, DDHCP_EBADF}, {EAGAIN, DDHCP_EAGAIN}, {ENOMEM, DDHCP_ENOMEM},
    {EACCES, DDHCP_EACCES}, {EBUSY, DDHCP_EBUSY}, {EEXIST, DDHCP_EEXIST}, {ENODEV, DDHCP_ENODEV},
    {ENOTDIR, DDHCP_ENOTDIR}, {EINVAL, DDHCP_EINVAL}, {EMFILE, DDHCP_EMFILE},
    {ENOSPC, DDHCP_ENOSPC}, {EROFS, DDHCP_EROFS}, {EPIPE, DDHCP_EPIPE},
    {ENAMETOOLONG, DDHCP_ENAMETOOLONG}, {ENOSYS, DDHCP_ENOSYS}, {EMSGSIZE, DDHCP_EMSGSIZE},
    {EPROTONOSUPPORT, DDHCP_EPROTONOSUPPORT}, {EAFNOSUPPORT, DDHCP_EAFNOSUPPORT},
    {EADDRINUSE, DDHCP_EADDRINUSE}, {EADDRNOTAVAIL, DDHCP_EADDRNOTAVAIL},
    {ENETDOWN, DDHCP_ENETDOWN}, {ENETUNREACH, DDHCP_ENETUNREACH},
    {ECONNRESET, DDHCP_ECONNRESET}, {ENOBUFS, DDHCP_ENOBUFS}, {ENOTCONN, DDHCP_ENOTCONN},
    {ECONNREFUSED, DDHCP_ECONNREFUSED}, {EHOSTUNREACH, DDHCP_EHOSTUNREACH},
};
#define TABLE_SIZE(t) ((int)(sizeof(t) / sizeof((t)[0])))

static int32_t portable_error(int native) {
    if (native == EWOULDBLOCK) return DDHCP_EAGAIN;
    for (int i = 0; i < TABLE_SIZE(error_table); i++)
        if (error_table[i].native == native) return error_table[i].portable;
    return DDHCP_EOTHER;
}

/* -portable code of the current errno. */
static int32_t fail(void) { return -portable_error(errno); }

/* Returns -error after closing fd, keeping errno intact. */
static int32_t fail_close(int fd) {
    int32_t code = fail();
    close(fd);
    return code;
}

int32_t ddhcp_error_text(int32_t code, uint8_t *buf, int32_t cap) {
    if (cap <= 0) return 0;
    const char *text = "unknown error";
    for (int i = 0; i < TABLE_SIZE(error_table); i++)
        if (error_table[i].portable == code) text = strerror(error_table[i].native);
    size_t n = strlen(text);
    if (n >= (size_t)cap) n = (size_t)cap - 1;
    memcpy(buf, text, n);
    buf[n] = 0;
    return (int32_t)n;
}

/* ---- time, entropy --------------------------------------------------------------------------- */

int64_t ddhcp_monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ddhcp_realtime_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* Early at boot a router's entropy pool may not be initialised yet and getrandom() would
 * block start-up; a seed does not need more than /dev/urandom then. */
static int32_t read_urandom(uint8_t *buf, int32_t len) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail();
    int32_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, buf + done, (size_t)(len - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? fail_close(fd) : (close(fd), -DDHCP_EIO);
        done += (int32_t)n;
    }
    close(fd);
    return done;
}

int32_t ddhcp_random(uint8_t *buf, int32_t len) {
    int32_t done = 0;
    while (done < len) {
        ssize_t n = getrandom(buf + done, (size_t)(len - done), GRND_NONBLOCK);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == ENOSYS) return read_urandom(buf, len);
            return fail();
        }
        done += (int32_t)n;
    }
    return done;
}

/* ---- interfaces ------------------------------------------------------------------------------ */

static int valid_ifname(const uint8_t *ifname) {
    size_t n = strlen((const char *)ifname);
    return n > 0 && n < IFNAMSIZ;
}

int32_t ddhcp_if_index(const uint8_t *ifname) {
    if (!valid_ifname(ifname)) return -DDHCP_ENODEV;
    unsigned idx = if_nametoindex((const char *)ifname);
    return idx == 0 ? -DDHCP_ENODEV : (int32_t)idx;
}

int32_t ddhcp_if_mac(const uint8_t *ifname, uint8_t *mac) {
    if (!valid_ifname(ifname)) return -DDHCP_ENODEV;
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail();
    struct ifreq req;
    memset(&req, 0, sizeof req);
    memcpy(req.ifr_name, ifname, strlen((const char *)ifname));
    if (ioctl(fd, SIOCGIFHWADDR, &req) < 0) return fail_close(fd);
    close(fd);
    if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER) return 0;
    memcpy(mac, req.ifr_hwaddr.sa_data, 6);
    for (int i = 0; i < 6; i++)
        if (mac[i]) return 6;
    return 0;
}

/* ---- UDP ------------------------------------------------------------------------------------- */

static int32_t bind_to_device(int fd, const uint8_t *ifname) {
    socklen_t n = (socklen_t)strlen((const char *)ifname) + 1;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, n) < 0 ? fail() : 0;
}

int32_t ddhcp_udp6_open(const uint8_t *ifname, const uint8_t *addr16, int32_t port, int32_t join_group) {
    int32_t ifindex = ddhcp_if_index(ifname);
    if (ifindex < 0) return ifindex;
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail();
    int32_t rc = bind_to_device(fd, ifname);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    if (join_group) {
        struct ipv6_mreq mreq;
        memset(&mreq, 0, sizeof mreq);
        memcpy(&mreq.ipv6mr_multiaddr, addr16, 16);
        mreq.ipv6mr_interface = (unsigned)ifindex;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof mreq) < 0) return fail_close(fd);
        int off = 0;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) < 0) return fail_close(fd);
    }
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((uint16_t)port);
    memcpy(&sa.sin6_addr, addr16, 16);
    sa.sin6_scope_id = (uint32_t)ifindex;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return fail_close(fd);
    return fd;
}

int32_t ddhcp_udp4_open(const uint8_t *ifname, int32_t port) {
    int32_t ifindex = ddhcp_if_index(ifname);
    if (ifindex < 0) return ifindex;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail();
    int32_t rc = bind_to_device(fd, ifname);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) < 0) return fail_close(fd);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return fail_close(fd);
    return fd;
}

int32_t ddhcp_udp6_send(int32_t fd, const uint8_t *buf, int32_t len, const uint8_t *addr16, int32_t port,
                        int32_t scope_ifindex) {
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons((uint16_t)port);
    memcpy(&sa.sin6_addr, addr16, 16);
    sa.sin6_scope_id = (uint32_t)scope_ifindex;
    ssize_t n;
    do n = sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa);
    while (n < 0 && errno == EINTR);
    return n < 0 ? fail() : (int32_t)n;
}

int32_t ddhcp_udp6_recv(int32_t fd, uint8_t *buf, int32_t cap, uint8_t *from16) {
    struct sockaddr_in6 sa;
    socklen_t salen = sizeof sa;
    memset(&sa, 0, sizeof sa);
    ssize_t n;
    do n = recvfrom(fd, buf, (size_t)cap, 0, (struct sockaddr *)&sa, &salen);
    while (n < 0 && errno == EINTR);
    if (n < 0) return fail();
    memcpy(from16, &sa.sin6_addr, 16);
    return (int32_t)n;
}

int32_t ddhcp_udp4_send(int32_t fd, const uint8_t *buf, int32_t len, uint32_t addr, int32_t port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(addr);
    ssize_t n;
    do n = sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa);
    while (n < 0 && errno == EINTR);
    return n < 0 ? fail() : (int32_t)n;
}

/* ---- descriptors ----------------------------------------------------------------------------- */

int32_t ddhcp_read(int32_t fd, uint8_t *buf, int32_t cap) {
    ssize_t n;
    do n = read(fd, buf, (size_t)cap);
    while (n < 0 && errno == EINTR);
    return n < 0 ? fail() : (int32_t)n;
}

int32_t ddhcp_write(int32_t fd, const uint8_t *buf, int32_t len) {
    ssize_t n;
    do n = write(fd, buf, (size_t)len);
    while (n < 0 && errno == EINTR);
    return n < 0 ? fail() : (int32_t)n;
}

int32_t ddhcp_close(int32_t fd) { return close(fd) < 0 ? fail() : 0; }

int32_t ddhcp_write_all(int32_t fd, const uint8_t *buf, int32_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, (size_t)len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail();
        }
        buf += n;
        len -= (int32_t)n;
    }
    return 0;
}

/* ---- Unix control socket --------------------------------------------------------------------- */

static int32_t unix_address(const uint8_t *path, struct sockaddr_un *sa) {
    size_t n = strlen((const char *)path);
    if (n == 0) return -DDHCP_ENOENT;
    if (n >= sizeof sa->sun_path) return -DDHCP_ENAMETOOLONG;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, n);
    return 0;
}

static int put_decimal(char *out, unsigned value);

int32_t ddhcp_unix_listen(const uint8_t *path) {
    struct sockaddr_un sa;
    int32_t rc = unix_address(path, &sa);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail();
    unlink(sa.sun_path); /* a stale socket file of an earlier run */
    /* Bind under a temporary name and rename once listening: whoever sees the file (scripts
     * that wait for it, then run ddhcpdctl) can connect at once. */
    /* "<path>.<pid>", built by hand: snprintf would link printf (10-20 KB, see ddhcp_syslog). */
    struct sockaddr_un tmp = sa;
    char pid[10];
    size_t len = strlen(sa.sun_path), digits = (size_t)put_decimal(pid, (unsigned)getpid());
    int use_tmp = len + 1 + digits < sizeof tmp.sun_path;
    if (use_tmp) {
        tmp.sun_path[len] = '.';
        memcpy(tmp.sun_path + len + 1, pid, digits);
        tmp.sun_path[len + 1 + digits] = 0;
    }
    const struct sockaddr_un *bound = use_tmp ? &tmp : &sa;
    if (use_tmp) unlink(tmp.sun_path);
    /* Create the file owner-only from the start (no window with wider permissions). */
    mode_t old = umask(0177);
    int b = bind(fd, (const struct sockaddr *)bound, sizeof *bound);
    umask(old);
    if (b < 0) return fail_close(fd);
    if (chmod(bound->sun_path, 0600) < 0 || listen(fd, 16) < 0 ||
        (use_tmp && rename(tmp.sun_path, sa.sun_path) < 0)) {
        int32_t code = fail();
        unlink(bound->sun_path);
        close(fd);
        return code;
    }
    return fd;
}

int32_t ddhcp_unix_accept(int32_t listen_fd) {
    int fd;
    do fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return fail();
    /* Blocking, so that a long answer is written whole, but never for more than a second
     * per call: a client that does not read cannot stall the daemon for long. */
    struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

int32_t ddhcp_unix_connect(const uint8_t *path) {
    struct sockaddr_un sa;
    int32_t rc = unix_address(path, &sa);
    if (rc < 0) return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail();
    /* A daemon that never answers must not hang the client forever (C's ddhcpdctl did). */
    struct timeval tv = {.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int c;
    do c = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    while (c < 0 && errno == EINTR);
    return c < 0 ? fail_close(fd) : fd;
}

int32_t ddhcp_shutdown_write(int32_t fd) { return shutdown(fd, SHUT_WR) < 0 ? fail() : 0; }

int32_t ddhcp_unlink(const uint8_t *path) { return unlink((const char *)path) < 0 ? fail() : 0; }

int32_t ddhcp_file_read(const uint8_t *path, uint8_t *buf, int32_t cap) {
    int fd = open((const char *)path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail();
    int32_t total = 0;
    for (;;) {
        uint8_t extra;
        uint8_t *at = total < cap ? buf + total : &extra;
        size_t want = total < cap ? (size_t)(cap - total) : 1;
        ssize_t n = read(fd, at, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int32_t rc = fail();
            close(fd);
            return rc;
        }
        if (n == 0) break;
        if (total >= cap) { total = cap + 1; break; }
        total += (int32_t)n;
    }
    close(fd);
    return total;
}

int32_t ddhcp_file_replace(const uint8_t *path, const uint8_t *tmp_path, const uint8_t *buf, int32_t len) {
    int fd = open((const char *)tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return fail();
    int32_t rc = ddhcp_write_all(fd, buf, len);
    if (close(fd) < 0 && rc == 0) rc = fail();
    if (rc == 0 && rename((const char *)tmp_path, (const char *)path) < 0) rc = fail();
    if (rc < 0) unlink((const char *)tmp_path);
    return rc;
}

/* ---- epoll ----------------------------------------------------------------------------------- */

int32_t ddhcp_poll_create(void) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    return fd < 0 ? fail() : fd;
}

int32_t ddhcp_poll_add(int32_t poll_fd, int32_t fd, int32_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.u32 = (uint32_t)token;
    return epoll_ctl(poll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? fail() : 0;
}

int32_t ddhcp_poll_remove(int32_t poll_fd, int32_t fd) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    return epoll_ctl(poll_fd, EPOLL_CTL_DEL, fd, &ev) < 0 ? fail() : 0;
}

int32_t ddhcp_poll_wait(int32_t poll_fd, int32_t timeout_ms, int32_t *tokens, int32_t cap) {
    struct epoll_event events[32];
    if (cap > 32) cap = 32;
    if (cap <= 0) return -DDHCP_EINVAL;
    int n = epoll_wait(poll_fd, events, cap, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : fail();
    for (int i = 0; i < n; i++) tokens[i] = (int32_t)events[i].data.u32;
    return n;
}

/* ---- signals, children ----------------------------------------------------------------------- */

int32_t ddhcp_signals_open(void) {
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) return fail();
    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? fail() : fd;
}

int32_t ddhcp_signals_read(int32_t fd) {
    struct signalfd_siginfo info;
    for (;;) {
        ssize_t n = read(fd, &info, sizeof info);
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof info) return DDHCP_SIGNAL_NONE;
        switch (info.ssi_signo) {
        case SIGTERM:
        case SIGINT: return DDHCP_SIGNAL_TERMINATE;
        case SIGCHLD: return DDHCP_SIGNAL_CHILD;
        default: continue;
        }
    }
}

int32_t ddhcp_reap_children(void) {
    int32_t reaped = 0;
    /* All of them: several children may end before one SIGCHLD is read. */
    while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
    return reaped;
}

/* A child with stdin from /dev/null and default signal handling: it must not inherit our
 * blocked/ignored signals or our stdin. fork + execve, not posix_spawn (whose musl code made
 * the static binary 2.3 KB larger on x86_64); a failed open or exec is reported through a
 * close-on-exec pipe, so the caller gets the error as from posix_spawn and the failed child is
 * reaped. Returns the pid or -error. */
static int32_t spawn_child(const char *path, char *const argv[], char *const envp[]) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) return fail();
    pid_t pid = fork();
    if (pid < 0) {
        int32_t rc = fail();
        close(report[0]);
        close(report[1]);
        return rc;
    }
    if (pid == 0) {
        static const int defaults[] = {SIGPIPE, SIGHUP, SIGTERM, SIGINT, SIGCHLD};
        for (unsigned i = 0; i < sizeof defaults / sizeof defaults[0]; i++) signal(defaults[i], SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0 && fd != 0) {
            if (dup2(fd, 0) < 0) fd = -1;
            else close(fd);
        }
        if (fd >= 0) execve(path, argv, envp);
        int error = errno;
        (void)!write(report[1], &error, sizeof error);
        _exit(127);
    }
    close(report[1]);
    int error = 0;
    ssize_t n;
    do n = read(report[0], &error, sizeof error); while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n != (ssize_t)sizeof error) return (int32_t)pid;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    return -portable_error(error);
}

int32_t ddhcp_spawn_hook(const uint8_t *hook, const uint8_t *action, const uint8_t *arg1, const uint8_t *arg2) {
    char *argv[8];
    int argc = 0;
    argv[argc++] = (char *)"/bin/sh";
    argv[argc++] = (char *)"-e";
    argv[argc++] = (char *)"--";
    argv[argc++] = (char *)hook;
    argv[argc++] = (char *)action;
    if (arg1) argv[argc++] = (char *)arg1;
    if (arg1 && arg2) argv[argc++] = (char *)arg2;
    argv[argc] = NULL;

    return spawn_child("/bin/sh", argv, environ);
}

/* "NAME=value" into out (cap bytes, truncated like snprintf), by hand: snprintf would link
 * printf (10 KB, and soft-float long double from libgcc on aarch64). */
static void put_variable(char *out, size_t cap, const char *name, const uint8_t *value) {
    size_t i = 0;
    while (*name && i + 1 < cap) out[i++] = *name++;
    if (i + 1 < cap) out[i++] = '=';
    while (value && *value && i + 1 < cap) out[i++] = (char)*value++;
    out[i] = 0;
}

/* The hotplug child's environment: ours without the four variables it sets, then those. */
int32_t ddhcp_spawn_hotplug(const uint8_t *program, const uint8_t *action, const uint8_t *mac,
                            const uint8_t *ip, const uint8_t *hostname) {
    static char vars[4][320];
    static char *envp[260];
    const char *names[4] = {"ACTION", "MACADDR", "IPADDR", "HOSTNAME"};
    const uint8_t *values[4] = {action, mac, ip, hostname};
    int n = 0;
    for (char **e = environ; e && *e && n < TABLE_SIZE(envp) - 5; e++) {
        int ours = 0;
        for (int k = 0; k < 4; k++) {
            size_t l = strlen(names[k]);
            if (strncmp(*e, names[k], l) == 0 && (*e)[l] == '=') ours = 1;
        }
        if (!ours) envp[n++] = *e;
    }
    for (int k = 0; k < 4; k++) {
        put_variable(vars[k], sizeof vars[k], names[k], values[k]);
        envp[n++] = vars[k];
    }
    envp[n] = NULL;
    char *argv[] = {(char *)program, (char *)"dhcp", NULL};
    return spawn_child((const char *)program, argv, envp);
}

/* ---- process --------------------------------------------------------------------------------- */

int32_t ddhcp_daemonize(void) { return daemon(0, 0) < 0 ? fail() : 0; }

int32_t ddhcp_getcwd(uint8_t *buf, int32_t cap) {
    if (cap <= 0 || !getcwd((char *)buf, (size_t)cap)) return cap <= 0 ? -DDHCP_EINVAL : fail();
    return (int32_t)strlen((const char *)buf);
}

/* Straight to /dev/log instead of through musl's syslog(3): that one formats with snprintf and
 * strftime, which links printf (with long double, i.e. soft-float libgcc on aarch64) and the
 * time-zone code into the static binary: 19 to 36 KB per architecture (size-report.sh).
 * The datagram is "<PRI>ddhcpd[PID]: text"; the local syslogd (OpenWrt logd, busybox syslogd)
 * adds the timestamp. An unconnected socket finds a restarted syslogd by itself. */
static int log_fd = -1;
static char log_tag[32]; /* "ident[pid]: " */
static int log_tag_len;

static int put_decimal(char *out, unsigned value) {
    char digits[10];
    int n = 0, k = 0;
    do digits[n++] = (char)('0' + value % 10); while ((value /= 10) != 0);
    while (n) out[k++] = digits[--n];
    return k;
}

void ddhcp_syslog_open(const uint8_t *ident) {
    int n = 0;
    while (ident[n] && n < 16) { log_tag[n] = (char)ident[n]; n++; }
    log_tag[n++] = '[';
    n += put_decimal(log_tag + n, (unsigned)getpid());
    memcpy(log_tag + n, "]: ", 3);
    log_tag_len = n + 3;
    if (log_fd < 0) log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

void ddhcp_syslog(int32_t level, const uint8_t *msg, int32_t len) {
    static const unsigned char priority[] = {LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const struct sockaddr_un dev_log = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    char buf[1024];
    if (log_fd < 0 || len < 0) return;
    int n = 0;
    buf[n++] = '<';
    n += put_decimal(buf + n, LOG_DAEMON | (level < 0 ? LOG_CRIT : level > 4 ? LOG_DEBUG : priority[level]));
    buf[n++] = '>';
    memcpy(buf + n, log_tag, (size_t)log_tag_len);
    n += log_tag_len;
    if (len > (int32_t)sizeof buf - n) len = (int32_t)sizeof buf - n;
    memcpy(buf + n, msg, (size_t)len);
    sendto(log_fd, buf, (size_t)(n + len), MSG_NOSIGNAL | MSG_DONTWAIT,
           (const struct sockaddr *)&dev_log, sizeof dev_log);
}

int32_t ddhcp_getopt(int32_t argc, uint8_t *const *argv, const uint8_t *optstring) {
    return getopt(argc, (char *const *)argv, (const char *)optstring);
}

const uint8_t *ddhcp_optarg(void) { return (const uint8_t *)optarg; }

int32_t ddhcp_optind(void) { return optind; }

const uint8_t *ddhcp_revision(void) { return (const uint8_t *)DDHCPD_REVISION; }

/* ---- entry ----------------------------------------------------------------------------------- */

/* Defined in Swift (@_cdecl). Under SwiftPM the linker maps `main` straight to it; other
 * build routes (static toolset links, the wasm host) use this main. */
int32_t ddhcpd_main(int32_t argc, uint8_t **argv);

int main(int argc, char **argv) { return ddhcpd_main(argc, (uint8_t **)argv); }
