// PROBE stand-in for Sources/DDHCPSystem/include/ddhcp_system.h, used by toolchain/mips only
// until the daemon's real OS surface lands. Same rules: plain functions of integers and byte
// pointers, -errno style results, no structs by value, no variadics.
#ifndef DDHCP_SYSTEM_H
#define DDHCP_SYSTEM_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Entry point implemented in Swift; the C main calls it.
int32_t ddhcpd_main(int32_t argc, char **argv);

int64_t ddhcp_now_ms(void);
int32_t ddhcp_write(int32_t fd, const uint8_t *buf, int32_t len);
// Next option from the saved argv (getopt); the argument is copied into optarg (NUL-terminated).
int32_t ddhcp_getopt(const char *optstring, uint8_t *optarg, int32_t optarg_cap);
// Parses a dotted quad; 0 on success, the address in network order in out4.
int32_t ddhcp_parse_ipv4(const char *text, uint8_t out4[4]);
int32_t ddhcp_udp6_socket(uint16_t port);
int32_t ddhcp_sendto6(int32_t fd, const uint8_t *buf, int32_t len, const uint8_t addr[16], uint16_t port);
// Receives one datagram (waits at most timeout_ms); the sender's address and port are stored.
int32_t ddhcp_recvfrom6(int32_t fd, uint8_t *buf, int32_t cap, uint8_t addr[16], uint16_t *port,
                        int32_t timeout_ms);
int32_t ddhcp_close(int32_t fd);

#define DDHCP_EAGAIN 11

#ifdef __cplusplus
}
#endif
#endif
