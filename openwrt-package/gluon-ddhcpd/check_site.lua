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
