# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are for the scripts that source this file
# The one definition of the Embedded Swift build settings, sourced by every script that compiles
# the daemon outside SwiftPM's host build: toolchain/build.sh (native route),
# toolchain/portable/build.sh (portable route), Tests/targets/core-embedded.sh and
# Tests/integration/build-embedded.sh.
#
#   EMBEDDED_SWIFT_FLAGS        swiftc flags of every Embedded build: the mode, whole-module,
#                               size optimisation, one section per function (for --gc-sections),
#                               no stack protector (the daemon has no runtime for it), and
#                               @_extern(c) (the core's calloc, docs/decisions.md D-222)
#   DDHCPD_CORE_SOURCES         Sources/DDHCPCore/*.swift (the protocol engine)
#   DDHCPD_SHELL_SOURCES        Sources/ddhcpd/*.swift (the daemon's shell)
#   DDHCPD_SYSTEM_DIR           Sources/DDHCPSystem (the C OS surface and its header)
#   DDHCPD_LOG_LIMIT_DEFAULT    the compile-time log limit of a build that names none; defined
#                               once, in Package.swift (DDHCPD_LOG_LIMIT ?? "N"), read from there
#                               (a build sets limit N with -D DDHCPD_LOG_LIMIT_N)
#   DDHCPD_RELEASE_LOG_LIMIT    the log limit of what ships on routers: the OpenWrt package's
#                               default (CONFIG_DDHCPD_LOG_LIMIT, openwrt-package/ddhcpd/Makefile),
#                               read from there; the portable route (source tarball) defaults to it
_embedded_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EMBEDDED_SWIFT_FLAGS=(-enable-experimental-feature Embedded -enable-experimental-feature Extern -wmo -Osize
                      -Xfrontend -function-sections -Xfrontend -disable-stack-protector)
DDHCPD_CORE_SOURCES=("$_embedded_root"/Sources/DDHCPCore/*.swift)
DDHCPD_SHELL_SOURCES=("$_embedded_root"/Sources/ddhcpd/*.swift)
DDHCPD_SYSTEM_DIR=$_embedded_root/Sources/DDHCPSystem
DDHCPD_LOG_LIMIT_DEFAULT=$(sed -n 's/.*"DDHCPD_LOG_LIMIT"\] ?? "\([0-4]\)".*/\1/p' "$_embedded_root/Package.swift")
[ -n "$DDHCPD_LOG_LIMIT_DEFAULT" ] || { echo "embedded-swift.sh: no log limit default in Package.swift" >&2; exit 1; }
DDHCPD_RELEASE_LOG_LIMIT=$(sed -n 's/^DDHCPD_LOG_LIMIT:=.*,\([0-4]\))$/\1/p' "$_embedded_root/openwrt-package/ddhcpd/Makefile")
[ -n "$DDHCPD_RELEASE_LOG_LIMIT" ] || { echo "embedded-swift.sh: no log limit default in openwrt-package/ddhcpd/Makefile" >&2; exit 1; }
unset _embedded_root
