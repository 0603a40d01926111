/*
 * ddhcp_system.h — the whole operating-system surface of the ddhcpd daemon shell.
 *
 * The Swift shell (Sources/ddhcpd) reaches the OS only through these functions. Rules that
 * keep the header implementable from outside the Swift module (the MIPS build implements it
 * as wasm imports in a host layer):
 *   - only integers and byte pointers cross the boundary; no structs, no variadics;
 *   - strings are NUL-terminated byte strings; IPv6 addresses are 16 raw bytes (network order);
 *     IPv4 addresses are a uint32_t whose most significant byte is the first octet;
 *   - failures return a negative portable error code (-DDHCP_E...), never a C errno constant;
 *   - every other constant the caller needs is defined here.
 */
#ifndef DDHCP_SYSTEM_H
#define DDHCP_SYSTEM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Portable error codes (the generic Linux numbering; hosts translate their own errno). */
#define DDHCP_EPERM 1
#define DDHCP_ENOENT 2
#define DDHCP_EINTR 4
#define DDHCP_EIO 5
#define DDHCP_ENXIO 6
#define DDHCP_EBADF 9
#define DDHCP_EAGAIN 11
#define DDHCP_ENOMEM 12
#define DDHCP_EACCES 13
#define DDHCP_EBUSY 16
#define DDHCP_EEXIST 17
#define DDHCP_ENODEV 19
#define DDHCP_ENOTDIR 20
#define DDHCP_EINVAL 22
#define DDHCP_EMFILE 24
#define DDHCP_ENOSPC 28
#define DDHCP_EROFS 30
#define DDHCP_EPIPE 32
#define DDHCP_ENAMETOOLONG 36
#define DDHCP_ENOSYS 38
#define DDHCP_EMSGSIZE 90
#define DDHCP_EPROTONOSUPPORT 93
#define DDHCP_EAFNOSUPPORT 97
#define DDHCP_EADDRINUSE 98
#define DDHCP_EADDRNOTAVAIL 99
#define DDHCP_ENETDOWN 100
#define DDHCP_ENETUNREACH 101
#define DDHCP_ECONNRESET 104
#define DDHCP_ENOBUFS 105
#define DDHCP_ENOTCONN 107
#define DDHCP_ECONNREFUSED 111
#define DDHCP_EHOSTUNREACH 113
#define DDHCP_EOTHER 255 /* anything not listed above */

/* Readable description of a (positive) portable error code, written NUL-terminated into buf.
 * Returns the text length. */
int32_t ddhcp_error_text(int32_t code, uint8_t *buf, int32_t cap);

/* --- time, entropy ------------------------------------------------------------------------ */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t ddhcp_monotonic_ms(void);
/* The wall clock (CLOCK_REALTIME) in seconds since the epoch: for the lease file's expiry
 * times only, never for protocol timing. */
int64_t ddhcp_realtime_s(void);
/* Fills buf with len bytes from the kernel's entropy source, without blocking (falls back to
 * /dev/urandom while the pool is not initialised). Returns len or -error. */
int32_t ddhcp_random(uint8_t *buf, int32_t len);

/* --- interfaces --------------------------------------------------------------------------- */

/* Interface index (> 0), or -DDHCP_ENODEV if there is no such interface. */
int32_t ddhcp_if_index(const uint8_t *ifname);
/* The interface's 6-byte hardware address into mac. Returns 6, 0 if the interface has no
 * Ethernet-style address (or it is all zero), or -error. */
int32_t ddhcp_if_mac(const uint8_t *ifname, uint8_t *mac);

/* --- UDP sockets (all non-blocking, close-on-exec) ----------------------------------------- */

/* IPv6 UDP socket bound to [addr16]:port with scope = ifname, SO_BINDTODEVICE ifname.
 * If join_group != 0, addr16 is a multicast group: the socket joins it on ifname and
 * multicast loopback is switched off. Returns the fd or -error. */
int32_t ddhcp_udp6_open(const uint8_t *ifname, const uint8_t *addr16, int32_t port, int32_t join_group);
/* IPv4 UDP socket bound to 0.0.0.0:port, SO_BINDTODEVICE ifname, SO_BROADCAST. fd or -error. */
int32_t ddhcp_udp4_open(const uint8_t *ifname, int32_t port);
/* Sends one datagram to [addr16]:port%scope_ifindex. Returns bytes sent or -error. */
int32_t ddhcp_udp6_send(int32_t fd, const uint8_t *buf, int32_t len,
                        const uint8_t *addr16, int32_t port, int32_t scope_ifindex);
/* Receives one datagram (truncated to cap). The sender's address goes to from16 (16 bytes).
 * Returns the byte count, -DDHCP_EAGAIN when nothing is queued, or -error. */
int32_t ddhcp_udp6_recv(int32_t fd, uint8_t *buf, int32_t cap, uint8_t *from16);
/* Sends one datagram to addr:port (addr as described above). Bytes sent or -error. */
int32_t ddhcp_udp4_send(int32_t fd, const uint8_t *buf, int32_t len, uint32_t addr, int32_t port);

/* --- plain descriptors -------------------------------------------------------------------- */

/* read(2)/write(2): byte count, 0 at end of stream, -DDHCP_EAGAIN, or -error. */
int32_t ddhcp_read(int32_t fd, uint8_t *buf, int32_t cap);
int32_t ddhcp_write(int32_t fd, const uint8_t *buf, int32_t len);
int32_t ddhcp_close(int32_t fd);
/* Writes everything to standard output / standard error (1 / 2). Returns 0 or -error. */
int32_t ddhcp_write_all(int32_t fd, const uint8_t *buf, int32_t len);

/* --- Unix-domain control socket ----------------------------------------------------------- */

/* Removes any file at path, then listens on it (SOCK_STREAM, mode 0600, non-blocking,
 * close-on-exec). The file appears only once the socket accepts connections.
 * Returns the listening fd or -error. */
int32_t ddhcp_unix_listen(const uint8_t *path);
/* Accepts one pending connection (close-on-exec). The connection blocks, with reads and
 * writes bounded to one second each: read it only when the poller reports it readable.
 * Returns the fd, -DDHCP_EAGAIN when none is pending, or -error. */
int32_t ddhcp_unix_accept(int32_t listen_fd);
/* Connects to the socket at path (blocking, close-on-exec). fd or -error. */
int32_t ddhcp_unix_connect(const uint8_t *path);
/* Shuts down the sending direction of a stream socket (the peer then reads end of stream). */
int32_t ddhcp_shutdown_write(int32_t fd);
/* unlink(2). 0 or -error. */
int32_t ddhcp_unlink(const uint8_t *path);
/* Whole small files (the state image, docs/fast-join.md#restart-survival). read: up to cap
 * bytes, the number read (cap + 1 if the file is longer), or -errno. replace: writes tmp_path,
 * then renames it over path (atomic on one file system); 0 or -errno. */
int32_t ddhcp_file_read(const uint8_t *path, uint8_t *buf, int32_t cap);
int32_t ddhcp_file_replace(const uint8_t *path, const uint8_t *tmp_path, const uint8_t *buf, int32_t len);

/* --- readiness (epoll) -------------------------------------------------------------------- */

/* A poller; returns its fd or -error. */
int32_t ddhcp_poll_create(void);
/* Watches fd for readability (level-triggered); token is reported when it is readable. */
int32_t ddhcp_poll_add(int32_t poll_fd, int32_t fd, int32_t token);
int32_t ddhcp_poll_remove(int32_t poll_fd, int32_t fd);
/* Waits up to timeout_ms (-1: forever) and writes the tokens of ready descriptors to tokens
 * (at most cap). Returns their number (0 on timeout or interruption) or -error. */
int32_t ddhcp_poll_wait(int32_t poll_fd, int32_t timeout_ms, int32_t *tokens, int32_t cap);

/* --- signals and child processes ---------------------------------------------------------- */

#define DDHCP_SIGNAL_NONE 0
#define DDHCP_SIGNAL_TERMINATE 1 /* SIGTERM or SIGINT */
#define DDHCP_SIGNAL_CHILD 2     /* SIGCHLD */

/* Ignores SIGPIPE and SIGHUP, and turns SIGTERM, SIGINT and SIGCHLD into readable events on
 * the returned descriptor (a signalfd or a self-pipe). Returns the fd or -error. */
int32_t ddhcp_signals_open(void);
/* Reads one pending signal event: DDHCP_SIGNAL_*, DDHCP_SIGNAL_NONE when none is pending. */
int32_t ddhcp_signals_read(int32_t fd);
/* Reaps every finished child without blocking. Returns the number reaped. */
int32_t ddhcp_reap_children(void);
/* Starts `/bin/sh -e -- hook action [arg1 [arg2]]` in the background (arg1/arg2 may be NULL),
 * stdin from /dev/null, default signal handling, stdout/stderr inherited. Never waits.
 * Returns the child's pid or -error. */
int32_t ddhcp_spawn_hook(const uint8_t *hook, const uint8_t *action, const uint8_t *arg1,
                         const uint8_t *arg2);
/* Starts `program dhcp` in the background as dnsmasq's dhcp-script starts OpenWrt's hotplug
 * `dhcp` events: our environment plus ACTION, MACADDR, IPADDR and HOSTNAME (empty if unknown),
 * stdin from /dev/null, default signal handling. Never waits. Returns the pid or -error. */
int32_t ddhcp_spawn_hotplug(const uint8_t *program, const uint8_t *action, const uint8_t *mac,
                            const uint8_t *ip, const uint8_t *hostname);

/* --- process ------------------------------------------------------------------------------ */

/* daemon(0, 0): background, new session, cwd /, standard streams to /dev/null. 0 or -error. */
int32_t ddhcp_daemonize(void);
/* The current directory, NUL-terminated, into buf. Its length or -error. */
int32_t ddhcp_getcwd(uint8_t *buf, int32_t cap);

/* openlog(ident, LOG_PID, LOG_DAEMON). ident must stay valid (argv[0] basename is fine). */
void ddhcp_syslog_open(const uint8_t *ident);
/* One message of len bytes at a level: the raw value of Swift's LogLevel (0 FATAL … 4 DEBUG). */
void ddhcp_syslog(int32_t level, const uint8_t *msg, int32_t len);

/* getopt(3) over the untouched argv. Returns the option byte, '?' for an unknown option or a
 * missing argument, -1 at the end. ddhcp_optarg() is the current option's argument (or NULL). */
int32_t ddhcp_getopt(int32_t argc, uint8_t *const *argv, const uint8_t *optstring);
const uint8_t *ddhcp_optarg(void);
int32_t ddhcp_optind(void);

/* The build's source revision (git commit) as a NUL-terminated string, possibly empty. */
const uint8_t *ddhcp_revision(void);

#ifdef __cplusplus
}
#endif
#endif
