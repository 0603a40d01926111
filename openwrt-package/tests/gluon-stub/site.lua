-- Stand-in for gluon's 'gluon.site' module: the table from $SITE_CONF (site.conf syntax) behind
-- gluon's accessor: site.a.b(default) returns the value at a.b, or default when it is absent;
-- indexing through absent keys is allowed.
local path = assert(os.getenv('SITE_CONF'), 'SITE_CONF not set')
local f = assert(io.open(path))
local data = assert(loadstring('return ' .. f:read('*a')))()
f:close()

local function wrap(value)
	return setmetatable({}, {
		__index = function(_, key)
			if type(value) == 'table' then
				return wrap(value[key])
			end
			return wrap(nil)
		end,
		__call = function(_, default)
			if value == nil then
				return default
			end
			return value
		end,
	})
end

return wrap(data)
