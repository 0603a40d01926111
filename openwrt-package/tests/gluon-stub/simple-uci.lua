-- Stand-in for gluon's 'simple-uci': an in-memory uci with the cursor methods upgrade scripts
-- use (get, set, section, delete, foreach, delete_all, save). The initial state comes from the Lua file $UCI_STATE
-- (config -> section name -> {['.type'] = type, option = value or {list}}); save(config) records
-- the config as saved. Values are stored as uci stores them: booleans as '1'/'0', numbers as
-- strings, lists as tables of strings.
local M = {}

local function load_state()
	local path = os.getenv('UCI_STATE')
	if not path then
		return {}
	end
	return assert(loadfile(path))()
end

local state = load_state()
M.saved = {}
M.state = state

local function to_uci(value)
	if type(value) == 'boolean' then
		return value and '1' or '0'
	elseif type(value) == 'number' then
		return tostring(value)
	elseif type(value) == 'table' then
		local list = {}
		for i, v in ipairs(value) do list[i] = to_uci(v) end
		return list
	end
	return value
end

local cursor = {}
cursor.__index = cursor

function cursor:get(config, section, option)
	local s = state[config] and state[config][section]
	if not s then
		return nil
	end
	if option == nil then
		return s['.type']
	end
	return s[option]
end

function cursor:set(config, section, option, value)
	state[config] = state[config] or {}
	if value == nil then
		state[config][section] = state[config][section] or {}
		state[config][section]['.type'] = option
		return true
	end
	if not state[config][section] then
		return false
	end
	state[config][section][option] = to_uci(value)
	return true
end

function cursor:section(config, stype, name, values)
	self:set(config, name, stype)
	for option, value in pairs(values or {}) do
		self:set(config, name, option, value)
	end
	return name
end

function cursor:delete(config, section, option)
	if not (state[config] and state[config][section]) then
		return false
	end
	if option then
		state[config][section][option] = nil
	else
		state[config][section] = nil
	end
	return true
end

-- Sections of a type, in name order (uci's file order is not modelled), each a copy with
-- '.name' and '.type' as simple-uci passes them.
local function sections_of(config, stype)
	local names = {}
	for name, s in pairs(state[config] or {}) do
		if s['.type'] == stype then table.insert(names, name) end
	end
	table.sort(names)
	return names
end

function cursor:foreach(config, stype, fn)
	for _, name in ipairs(sections_of(config, stype)) do
		local copy = {['.name'] = name}
		for k, v in pairs(state[config][name]) do copy[k] = v end
		if fn(copy) == false then break end
	end
end

function cursor:delete_all(config, stype, fn)
	for _, name in ipairs(sections_of(config, stype)) do
		local copy = {['.name'] = name}
		for k, v in pairs(state[config][name]) do copy[k] = v end
		if not fn or fn(copy) then state[config][name] = nil end
	end
end

function cursor:save(config)
	M.saved[config] = true
	return true
end

function M.cursor()
	return setmetatable({}, cursor)
end

-- Sorted "config.section.option=value" lines (lists joined by ' | ') of the saved configs.
function M.dump()
	local lines = {}
	for config, sections in pairs(state) do
		if M.saved[config] then
			for name, options in pairs(sections) do
				table.insert(lines, string.format('%s.%s=%s', config, name, options['.type']))
				for option, value in pairs(options) do
					if option ~= '.type' then
						if type(value) == 'table' then
							value = table.concat(value, ' | ')
						end
						table.insert(lines, string.format('%s.%s.%s=%s', config, name, option, value))
					end
				end
			end
		end
	end
	table.sort(lines)
	return table.concat(lines, '\n')
end

return M
