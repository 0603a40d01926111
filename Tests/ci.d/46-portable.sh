#!/usr/bin/env bash
# The portable C source release (toolchain/portable) on every gluon architecture under qemu-user:
# reproducible tarball, builds without Swift, command line, a mixed mesh with roaming.
exec bash "$(dirname "$0")/../targets/portable.sh" "$@"
