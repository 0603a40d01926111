// PROBE stand-in for Sources/DDHCPSystem/ddhcp_system.c (see the header).
#define _GNU_SOURCE
#include "ddhcp_system.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int saved_argc;
static char **saved_argv;

int main(int argc, char **argv) {
    saved_argc = argc;
    saved_argv = argv;
    return ddhcpd_main(argc, argv);
}

int64_t ddhcp_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t ddhcp_write(int32_t fd, const uint8_t *buf, int32_t len) {
    ssize_t n = write(fd, buf, (size_t)len);
    return n < 0 ? -errno : (int32_t)n;
}

int32_t ddhcp_getopt(const char *optstring, uint8_t *out, int32_t cap) {
    int c = getopt(saved_argc, saved_argv, optstring);
    if (cap > 0) out[0] = 0;
    if (c >= 0 && optarg && cap > 0) {
        size_t n = strlen(optarg);
        if (n >= (size_t)cap) n = (size_t)cap - 1;
        memcpy(out, optarg, n);
        out[n] = 0;
    }
    return c;
}

int32_t ddhcp_parse_ipv4(const char *text, uint8_t out4[4]) {
    return inet_pton(AF_INET, text, out4) == 1 ? 0 : -EINVAL;
}

int32_t ddhcp_udp6_socket(uint16_t port) {
    int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_loopback};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int32_t ddhcp_sendto6(int32_t fd, const uint8_t *buf, int32_t len, const uint8_t addr[16], uint16_t port) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    memcpy(&sa.sin6_addr, addr, 16);
    ssize_t n = sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa);
    return n < 0 ? -errno : (int32_t)n;
}

int32_t ddhcp_recvfrom6(int32_t fd, uint8_t *buf, int32_t cap, uint8_t addr[16], uint16_t *port,
                        int32_t timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0) return -errno;
    if (r == 0) return -DDHCP_EAGAIN;
    struct sockaddr_in6 sa;
    socklen_t sl = sizeof sa;
    ssize_t n = recvfrom(fd, buf, (size_t)cap, 0, (struct sockaddr *)&sa, &sl);
    if (n < 0) return -errno;
    memcpy(addr, &sa.sin6_addr, 16);
    *port = ntohs(sa.sin6_port);
    return (int32_t)n;
}

int32_t ddhcp_close(int32_t fd) { return close(fd) < 0 ? -errno : 0; }
