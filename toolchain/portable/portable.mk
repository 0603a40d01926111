# Builds ddhcpd from its portable C: the Swift daemon compiled to one wasm32 module and turned
# into C by wasm2c (ddhcpd_wasm.c), the host layer that runs it (rt.c, imports.c, wasm-mem.h)
# and the daemon's OS surface (ddhcp_system.c). No Swift needed; any C99 compiler for Linux
# (gcc or clang; musl or glibc), either byte order, 32 or 64 bits:
#
#   make CC=mips-openwrt-linux-musl-gcc            # e.g. an OpenWrt SDK's TARGET_CC
#   make CC=... LINK=... CFLAGS=... LDFLAGS=... LIBS=...   # separate compile and link drivers
#
#   CFLAGS, LDFLAGS  the target's flags (OpenWrt passes TARGET_CFLAGS/TARGET_LDFLAGS); the
#             build adds its own after them
#   STATIC=1  link statically (default; STATIC=0 links against the target's shared libc)
#   MALLOC=1  malloc.c (a small size-class allocator) replaces the C library's (default with
#             musl: smaller than mallocng; MALLOC=0 keeps the C library's, as glibc needs)
#   BOUNDS=1  linear-memory accesses masked into the module's memory (default, cheap)
#   BOUNDS=2  every access checked, out-of-bounds traps (wasm semantics, larger)
#   BOUNDS=0  unchecked (for measurements only)
#   O=DIR     where objects and the binary go (default: here)
#   LOG_LIMIT=N  the log limit the build expects (OpenWrt's CONFIG_DDHCPD_LOG_LIMIT): must be
#             the one the C was generated with (file LOG_LIMIT), else make stops — log calls
#             are compiled out before the C exists
CC ?= cc
LINK ?= $(CC)
CFLAGS ?= -Os
LDFLAGS ?= -s
LIBS ?= -lm
STATIC ?= 1
MALLOC ?= 1
BOUNDS ?= 1
O ?= .
REVISION := $(shell cat REVISION 2>/dev/null)
GENERATED_LOG_LIMIT := $(shell cat LOG_LIMIT 2>/dev/null)
ifneq ($(LOG_LIMIT),)
ifneq ($(LOG_LIMIT),$(GENERATED_LOG_LIMIT))
$(error ddhcpd: LOG_LIMIT=$(LOG_LIMIT), but this C was generated with log limit $(GENERATED_LOG_LIMIT); make another with toolchain/portable/make-source-tarball.sh --log-limit $(LOG_LIMIT))
endif
endif

ALL_CFLAGS = $(CFLAGS) -std=gnu99 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
	-fno-stack-protector -U_FORTIFY_SOURCE -DNDEBUG -DDDHCP_WASM_BOUNDS=$(BOUNDS) \
	-DDDHCPD_REVISION='"$(REVISION)"' -I.
# No RELRO and no separate code segment: both pad the file to page boundaries (PowerPC 26 KB,
# x86 6 KB of padding) for protections a static daemon without dynamic relocations gains
# little from (D-130).
ALL_LDFLAGS = -Wl,--gc-sections -Wl,-z,norelro -Wl,-z,noseparate-code
OBJS = $(O)/ddhcpd_wasm.o $(O)/rt.o $(O)/imports.o $(O)/ddhcp_system.o $(if $(filter 1,$(MALLOC)),$(O)/malloc.o)

$(O)/ddhcpd: $(OBJS)
	$(LINK) $(LDFLAGS) $(if $(filter 1,$(STATIC)),-static) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(O)/%.o: %.c *.h
	$(CC) $(ALL_CFLAGS) -c $< -o $@

clean:
	rm -f $(OBJS) $(O)/malloc.o $(O)/ddhcpd

.PHONY: clean
