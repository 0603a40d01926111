-- Site checks for gluon-ddhcpd. Every ddhcpd key is optional; the pool is ddhcpd.range, or
-- prefix4 when no range is given. Limits are the daemon's (block size exponent 0-7, 16-bit
-- timers, 8-bit spare count) plus what a router can hold (at most 65536 blocks).

local function parse_network(text)
	if type(text) ~= 'string' then
		return nil
	end
	local a, b, c, d, len = text:match('^(%d+)%.(%d+)%.(%d+)%.(%d+)/(%d+)$')
	if not a then
		return nil
	end
	local value = 0
	for _, octet in ipairs({a, b, c, d}) do
		octet = tonumber(octet)
		if octet > 255 then
			return nil
		end
		value = value * 256 + octet
	end
	len = tonumber(len)
	if len > 32 then
		return nil
	end
	return value, len
end

local function integer_between(min, max)
	return function(value)
		return type(value) == 'number' and value == math.floor(value) and value >= min and value <= max
	end
end

local function check_integer(key, min, max, hint)
	return need({'ddhcpd', key}, integer_between(min, max), false,
		string.format('be an integer from %d to %d%s', min, max, hint or ''))
end

need_string_match({'next_node', 'ip4'}, '^%d+%.%d+%.%d+%.%d+$')
local prefix4 = need_string_match({'prefix4'}, '^%d+%.%d+%.%d+%.%d+/%d+$', false)

need_boolean({'ddhcpd', 'enabled'}, false)
need_one_of({'ddhcpd', 'renew_byte_order'}, {'le', 'be'}, false)
check_integer('block_timeout', 1, 65535, ' (seconds)')
check_integer('tentative_timeout', 2, 65535, ' (seconds)')
check_integer('spare_leases', 0, 255)
check_integer('dhcp_lease_time', 1, 2147483647, ' (seconds)')
local block_size = check_integer('block_size', 0, 7, ' (a block holds 2^block_size addresses)') or 2

local range = need({'ddhcpd', 'range'}, function(value)
	local network, len = parse_network(value)
	return network ~= nil and len >= 8 and network % 2 ^ (32 - len) == 0
end, prefix4 == nil, 'be an IPv4 network "A.B.C.D/L" with L from 8 to 32 and no host bits set'
	.. ' (it defaults to prefix4)')

local pool_path = range and {'ddhcpd', 'range'} or {'prefix4'}
local pool_network, pool_len = parse_network(range or prefix4)

need(pool_path, function()
	return pool_len >= 8 and pool_network % 2 ^ (32 - pool_len) == 0
end, true, 'be an IPv4 network with L from 8 to 32 and no host bits set to serve as the ddhcpd pool')

need({'ddhcpd', 'block_size'}, function()
	return block_size <= 32 - pool_len and 32 - pool_len - block_size <= 16
end, true, string.format('fit the pool /%d: at least one and at most 65536 blocks of 2^block_size'
	.. ' addresses (block_size %d leaves %s)', pool_len, block_size,
	block_size <= 32 - pool_len and tostring(2 ^ (32 - pool_len - block_size)) .. ' blocks' or 'none'))
-- (required: the default block_size 2 has to fit as well)

-- Clients get the subnet mask of prefix4, so the pool has to lie inside it.
if range and prefix4 then
	local prefix_network, prefix_len = parse_network(prefix4)
	need({'ddhcpd', 'range'}, function()
		local size = 2 ^ (32 - prefix_len)
		return pool_len >= prefix_len and pool_network - pool_network % size == prefix_network - prefix_network % size
	end, true, 'lie inside prefix4 (' .. prefix4 .. '), whose subnet mask the clients are given')
end

-- Reserved addresses and static leases, the same on every node (daemon --reserve,
-- --static-lease): ddhcpd.reserve = { 'A.B.C.D', 'A.B.C.D-E.F.G.H', 'A.B.C.D/L', ... },
-- ddhcpd.static_leases = { { mac = 'aa:bb:cc:dd:ee:ff', ip4 = 'A.B.C.D' }, ... } with every
-- static address inside a reserved range.
local function address_value(text)
	local value = parse_network(type(text) == 'string' and text .. '/32' or nil)
	return value
end

local function range_of(text)
	if type(text) ~= 'string' then
		return nil
	end
	local first, last = text:match('^([%d.]+)%-([%d.]+)$')
	if first then
		first, last = address_value(first), address_value(last)
		if first and last and first <= last then
			return first, last
		end
		return nil
	end
	local network, len = parse_network(text)
	if network then
		local size = 2 ^ (32 - len)
		if network % size == 0 then
			return network, network + size - 1
		end
		return nil
	end
	local single = address_value(text)
	return single, single
end

local ranges = {}
need({'ddhcpd', 'reserve'}, function(value)
	if type(value) ~= 'table' or #value > 64 then
		return false
	end
	for _, entry in ipairs(value) do
		local first, last = range_of(entry)
		if not first then
			return false
		end
		table.insert(ranges, {first, last})
	end
	return true
end, false, 'be a list of at most 64 strings "A.B.C.D", "A.B.C.D-E.F.G.H" or "A.B.C.D/L"')

need({'ddhcpd', 'static_leases'}, function(value)
	if type(value) ~= 'table' or #value > 256 then
		return false
	end
	local seen = {}
	for _, lease in ipairs(value) do
		if type(lease) ~= 'table' or type(lease.mac) ~= 'string'
			or not lease.mac:match('^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$') then
			return false
		end
		local address = address_value(lease.ip4)
		if not address or seen[lease.mac:lower()] or seen[address] then
			return false
		end
		seen[lease.mac:lower()] = true
		seen[address] = true
		local inside = false
		for _, r in ipairs(ranges) do
			if address >= r[1] and address <= r[2] then
				inside = true
			end
		end
		if not inside then
			return false
		end
	end
	return true
end, false, 'be a list of at most 256 { mac = "aa:bb:cc:dd:ee:ff", ip4 = "A.B.C.D" }, each MAC and'
	.. ' address once, every address inside ddhcpd.reserve')
