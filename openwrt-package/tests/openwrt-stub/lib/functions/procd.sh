# Stand-in for OpenWrt's /lib/functions/procd.sh: instead of sending the service description to
# procd over ubus, every call is written to $PROCD_LOG, one line per call, fields separated by
# TAB: "open_instance NAME", "set_param TYPE VALUE...", "append_param TYPE VALUE...",
# "close_instance", "trigger KIND ARGS...". uci_validate_section is the real contract: eval the
# output of /sbin/validate_data (here $STUB_ROOT/sbin/validate_data) and return its status.
# shellcheck shell=sh disable=SC3043

_procd_log() {
	local IFS='	'
	printf '%s\n' "$*" >> "$PROCD_LOG"
}

procd_open_service() { _procd_log open_service "$1"; }
procd_close_service() { service_triggers; _procd_log close_service; }
procd_open_instance() { _procd_log open_instance "${1:-instance}"; }
procd_close_instance() { _procd_log close_instance; }
procd_set_param() { _procd_log set_param "$@"; }
procd_append_param() { _procd_log append_param "$@"; }
procd_add_reload_trigger() { _procd_log trigger config.change "$@"; }
procd_add_reload_interface_trigger() { _procd_log trigger interface "$1"; }
procd_add_interface_trigger() { _procd_log trigger interface_raw "$@"; }
procd_add_raw_trigger() { _procd_log trigger raw "$@"; }

uci_validate_section() {
	local _package="$1" _type="$2" _name="$3" _result _error
	shift 3
	_result=$("$STUB_ROOT/sbin/validate_data" "$_package" "$_type" "$_name" "$@" 2>/dev/null)
	_error=$?
	eval "$_result"
	[ "$_error" = 0 ] || "$STUB_ROOT/sbin/validate_data" "$_package" "$_type" "$_name" "$@" >/dev/null
	return $_error
}
