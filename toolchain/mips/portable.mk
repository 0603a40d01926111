# Builds ddhcpd from its portable C: the Swift daemon compiled to one wasm32 module and turned
# into C by wasm2c (ddhcpd_wasm.c), the host layer that runs it (rt.c, imports.c, wasm-mem.h)
# and the daemon's OS surface (ddhcp_system.c). No Swift needed; any C99 compiler for Linux:
#
#   make CC=mips-openwrt-linux-musl-gcc            # e.g. an OpenWrt SDK
#   make CC=... LINK=... CFLAGS=... LDFLAGS=... LIBS=...   # separate compile and link drivers
#
#   BOUNDS=1  linear-memory accesses masked into the module's memory (default, cheap)
#   BOUNDS=2  every access checked, out-of-bounds traps (wasm semantics, larger)
#   BOUNDS=0  unchecked (32-bit targets have no guard pages: for measurements only)
#   O=DIR     where objects and the binary go (default: here)
#   CFLAGS='-Os -DDDHCP_HOST_MALLOC=1'  malloc.c instead of the C library's allocator (smaller
#             with zig's musl; the host side allocates almost nothing)
CC ?= cc
LINK ?= $(CC)
CFLAGS ?= -Os
LDFLAGS ?= -static -s
LIBS ?= -lm
BOUNDS ?= 1
O ?= .
REVISION := $(shell cat REVISION 2>/dev/null)

ALL_CFLAGS = $(CFLAGS) -std=gnu99 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-stack-protector -DNDEBUG -DDDHCP_WASM_BOUNDS=$(BOUNDS) -DDDHCPD_REVISION='"$(REVISION)"' -I.
OBJS = $(O)/ddhcpd_wasm.o $(O)/rt.o $(O)/malloc.o $(O)/imports.o $(O)/ddhcp_system.o

$(O)/ddhcpd: $(OBJS)
	$(LINK) $(LDFLAGS) -Wl,--gc-sections -o $@ $(OBJS) $(LIBS)

$(O)/%.o: %.c *.h
	$(CC) $(ALL_CFLAGS) -c $< -o $@

clean:
	rm -f $(OBJS) $(O)/ddhcpd

.PHONY: clean
