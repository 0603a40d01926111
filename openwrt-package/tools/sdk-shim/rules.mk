# Stand-in for an OpenWrt SDK's rules.mk: evaluates an OpenWrt package Makefile off the build
# system, for tests and for packing an .ipk from a prebuilt static binary (tools/build-ipk.sh).
# Make variables normally set by the SDK come from the command line or default to a scratch
# tree under SHIM_WORK. The install macros are OpenWrt's.

SHIM_WORK ?= $(CURDIR)/.sdk-shim
INCLUDE_DIR := $(TOPDIR)/include
BUILD_DIR ?= $(SHIM_WORK)/build
DL_DIR ?= $(SHIM_WORK)/dl
STAGING_DIR ?= $(SHIM_WORK)/staging
TOOLCHAIN_DIR ?= $(SHIM_WORK)/toolchain
TARGET_CC ?= cc
TARGET_CFLAGS ?= -Os
TARGET_LDFLAGS ?=
ARCH ?= x86_64
ARCH_PACKAGES ?= $(ARCH)

INSTALL_DIR := install -d -m0755
INSTALL_BIN := install -m0755
INSTALL_DATA := install -m0644
INSTALL_CONF := install -m0600
CP := cp -fpR
LN := ln -sf

define newline


endef
