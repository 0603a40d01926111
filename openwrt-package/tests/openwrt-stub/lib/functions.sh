# Stand-in for OpenWrt's /lib/functions.sh: the uci config helpers an init script uses.
# The state layout follows OpenWrt's: CONFIG_<section>_<option>, CONFIG_<section>_TYPE,
# lists as CONFIG_<section>_<option>_ITEM<n> with _LENGTH. Config files are read from
# $UCI_CONFIG_DIR (default /etc/config); uci's file syntax is valid shell once config, option
# and list are functions, which is how this stub parses it.
# shellcheck shell=sh disable=SC1090,SC2034,SC3043

config() {
	local type="$1" name="$2"
	CONFIG_NUM_SECTIONS=$((CONFIG_NUM_SECTIONS + 1))
	name="${name:-cfg$CONFIG_NUM_SECTIONS}"
	CONFIG_SECTIONS="$CONFIG_SECTIONS $name"
	CONFIG_SECTION="$name"
	eval "CONFIG_${name}_TYPE=\$type"
}

option() {
	eval "CONFIG_${CONFIG_SECTION}_$1=\$2"
}

list() {
	local len
	eval "len=\${CONFIG_${CONFIG_SECTION}_$1_LENGTH:-0}"
	len=$((len + 1))
	eval "CONFIG_${CONFIG_SECTION}_$1_ITEM$len=\$2"
	eval "CONFIG_${CONFIG_SECTION}_$1_LENGTH=\$len"
	CONFIG_LIST_STATE="$CONFIG_LIST_STATE ${CONFIG_SECTION}_$1"
}

config_load() {
	local file="${UCI_CONFIG_DIR:-/etc/config}/$1" var
	for var in $CONFIG_LIST_STATE; do
		eval "CONFIG_${var}_LENGTH="
	done
	CONFIG_LIST_STATE=
	CONFIG_SECTIONS=
	CONFIG_NUM_SECTIONS=0
	CONFIG_SECTION=
	[ -f "$file" ] || return 1
	. "$file"
}

# config_get VAR SECTION OPTION [DEFAULT], or config_get SECTION OPTION (prints the value)
config_get() {
	case "$3" in
		"") eval echo "\"\${CONFIG_${1}_${2}:-\${4}}\"" ;;
		*) eval "$1=\${CONFIG_${2}_${3}:-\${4}}" ;;
	esac
}

config_foreach() {
	local function="$1" type="$2" section cfgtype
	shift 2
	for section in $CONFIG_SECTIONS; do
		eval "cfgtype=\${CONFIG_${section}_TYPE}"
		[ -z "$type" ] || [ "$type" = "$cfgtype" ] || continue
		"$function" "$section" "$@"
	done
}

config_list_foreach() {
	local section="$1" option="$2" function="$3" len i val
	shift 3
	eval "len=\${CONFIG_${section}_${option}_LENGTH:-0}"
	i=1
	while [ "$i" -le "$len" ]; do
		eval "val=\${CONFIG_${section}_${option}_ITEM$i}"
		"$function" "$val" "$@"
		i=$((i + 1))
	done
}
