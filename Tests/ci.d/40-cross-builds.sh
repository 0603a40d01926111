#!/usr/bin/env bash
# Cross builds of both routes against the flash budgets, and the shipped binaries under qemu-user.
exec bash "$(dirname "$0")/../targets/cross-builds.sh" "$@"
