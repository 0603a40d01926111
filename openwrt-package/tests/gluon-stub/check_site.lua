-- Stand-in for gluon's check-site runner: lua5.1 check_site.lua PACKAGE_CHECK SITE_CONF
-- Loads SITE_CONF (site.conf syntax: one Lua table), defines the need_* helpers with gluon's
-- semantics (a path is a list of keys; need(path, check, required, msg) returns the value, or
-- nil when it is absent and not required; a failed check raises "expected <path> to <msg>, but
-- it is <value>") and runs PACKAGE_CHECK. Prints "ok" or "*** <error>" and exits 0 or 1.

local check_file, site_file = arg[1], arg[2]

local function load_site(path)
	local f = assert(io.open(path))
	local text = f:read('*a')
	f:close()
	return assert(loadstring('return ' .. text, '@' .. path))()
end

local conf = load_site(site_file)

local function path_string(path)
	return table.concat(path, '.')
end

local function describe(value)
	if value == nil then
		return 'unset'
	end
	return string.format('%s (a %s value)', type(value) == 'string' and string.format('%q', value)
		or tostring(value), type(value))
end

local function lookup(path)
	local value = conf
	for _, key in ipairs(path) do
		if type(value) ~= 'table' then
			return nil
		end
		value = value[key]
	end
	return value
end

function in_site(path) return path end
function in_domain(path) return path end

function need(path, check, required, msg)
	local value = lookup(path)
	if required == false and value == nil then
		return nil
	end
	if not check(value) then
		error(string.format('site.conf: expected %s to %s, but it is %s', path_string(path), msg,
			describe(value)), 0)
	end
	return value
end

local function need_type(path, wanted, required, msg)
	return need(path, function(value) return type(value) == wanted end, required, msg)
end

function need_string(path, required) return need_type(path, 'string', required, 'be a string') end
function need_number(path, required) return need_type(path, 'number', required, 'be a number') end
function need_boolean(path, required) return need_type(path, 'boolean', required, 'be a boolean') end
function need_table(path, _, required) return need_type(path, 'table', required, 'be a table') end

function need_string_match(path, pattern, required)
	local value = need_string(path, required)
	if value ~= nil and not value:match(pattern) then
		error(string.format("site.conf: expected %s to match pattern '%s', but it is %s",
			path_string(path), pattern, describe(value)), 0)
	end
	return value
end

function need_one_of(path, values, required)
	local quoted = {}
	for i, v in ipairs(values) do quoted[i] = string.format('%q', v) end
	return need(path, function(value)
		for _, v in ipairs(values) do
			if v == value then return true end
		end
		return false
	end, required, 'be one of the given array [' .. table.concat(quoted, ', ') .. ']')
end

local ok, err = pcall(assert(loadfile(check_file)))
if ok then
	print('ok')
	os.exit(0)
end
print('*** ' .. tostring(err))
os.exit(1)
