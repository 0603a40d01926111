-- lua5.1 run_upgrade.lua UPGRADE_SCRIPT: runs a gluon upgrade script against the stand-in
-- 'gluon.site' ($SITE_CONF) and 'simple-uci' ($UCI_STATE) and prints the saved uci state.
local here = arg[0]:match('^(.*)/[^/]*$') or '.'
package.preload['gluon.site'] = function() return dofile(here .. '/site.lua') end
package.preload['simple-uci'] = function() return dofile(here .. '/simple-uci.lua') end
local uci = require 'simple-uci'
assert(loadfile(arg[1]))()
print(uci.dump())
