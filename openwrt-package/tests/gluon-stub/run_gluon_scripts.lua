-- lua5.1 run_gluon_scripts.lua SCRIPT...: runs gluon's own upgrade scripts (from a gluon checkout,
-- test_gluon.py with GLUON_SOURCE) in order through the simple-uci stand-in, extended with the
-- calls they make (get_list, set_list, get_first, reorder; setting {} deletes the option, as
-- simple-uci does), with stand-ins for gluon.util, gluon.sysconfig and gluon.client_bridge, and
-- prints the resulting state as a Lua-like dump (simple-uci stand-in's dump of every config).
local here = arg[0]:match('^(.*)/[^/]*$') or '.'
local M = dofile(here .. '/simple-uci.lua')
local C = getmetatable(M.cursor()).__index
local plain_set = C.set
function C:set(c, s, o, v)
	if type(v) == 'table' and #v == 0 then
		return self:delete(c, s, o)
	end
	return plain_set(self, c, s, o, v)
end
function C:get_list(c, s, o)
	local v = self:get(c, s, o)
	if type(v) == 'table' then
		local copy = {}
		for i, x in ipairs(v) do copy[i] = x end
		return copy
	end
	return v and {v} or {}
end
function C:set_list(c, s, o, v) return self:set(c, s, o, v) end
function C:get_first(c, t, o, d)
	local r = d
	self:foreach(c, t, function(s) r = o and s[o] or s['.name']; return false end)
	return r
end
function C:reorder() return true end
package.preload['simple-uci'] = function() return M end
package.preload['gluon.site'] = function() return dofile(here .. '/site.lua') end
package.preload['gluon.sysconfig'] = function() return {primary_mac = '02:00:00:00:00:01'} end
package.preload['gluon.client_bridge'] = function()
	return {next_node_macaddr = function() return '16:41:95:40:f7:dc' end}
end
package.preload['gluon.util'] = function()
	local u = {}
	function u.contains(t, v)
		for _, x in ipairs(t) do if x == v then return true end end
		return false
	end
	function u.add_to_set(t, v) if not u.contains(t, v) then table.insert(t, v) end end
	function u.remove_from_set(t, v)
		for i = #t, 1, -1 do if t[i] == v then table.remove(t, i) end end
	end
	function u.get_role_interfaces() return {} end
	return u
end
for i = 1, #arg do
	assert(loadfile(arg[i]))()
	M.saved = {}
end
for config in pairs(M.state) do M.saved[config] = true end
print(M.dump())
