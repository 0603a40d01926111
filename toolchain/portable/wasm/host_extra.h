// Imports the wasm-side C library (wasm/libc.c) needs from the host beyond ddhcp_system.h.
// Same rules as ddhcp_system.h; host/gen-host.py generates their wrappers from this file too.
#ifndef DDHCP_HOST_EXTRA_H
#define DDHCP_HOST_EXTRA_H
#include <stdint.h>
void ddhcp_host_putchar(int32_t c);
#endif
