-- The plugin without a server: lazy loading, option checks, the quickfix and
-- status views built from a report, completion, and buffers outside git.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('plugin loads lazily, checks options, builds views', function()
  -- plugin/agentls.lua defines the command without loading the Lua modules.
  H.eq(2, vim.fn.exists(':AgentLS'), ':AgentLS defined')
  H.assert(package.loaded['agentls'] == nil, 'agentls must not be required at startup')

  -- Bad options: a readable error, previous options kept.
  local ok, err = pcall(require('agentls').setup, { settings = { severity = { conflict = 'loud' } } })
  H.assert(not ok and tostring(err):find('settings.severity.conflict', 1, true), 'severity error: ' .. tostring(err))
  ok, err = pcall(require('agentls').setup, { cmd = 'agentls serve' })
  H.assert(not ok and tostring(err):find('cmd: expected table', 1, true), 'cmd error: ' .. tostring(err))
  ok, err = pcall(require('agentls').setup, { colour = true })
  H.assert(not ok and tostring(err):find('unknown option "colour"', 1, true), 'unknown option error: ' .. tostring(err))
  H.eq(nil, require('agentls.config').options.cmd, 'options after refused setups')

  -- Quickfix items: both sides of each collision, one per range.
  local commands = require('agentls.commands')
  local report = {
    sessions = { { name = 'a', path = '/w/a' }, { name = 'b', path = '/w/b' } },
    overlaps = {
      {
        kind = 'conflict',
        path = 'src/x.py',
        sessions = { 'a', 'b' },
        ranges = { a = { { 3, 5 }, { 9, 9 } }, b = { { 4, 6 } } },
        detail = { 'content' },
      },
      { kind = 'overlap', path = 'README.md', sessions = { 'a', 'b' }, ranges = vim.empty_dict(), detail = {} },
    },
  }
  local items = commands.quickfix_items(report)
  H.eq(5, #items, 'quickfix item count')
  H.eq({ '/w/a/src/x.py', 3, 5, 'E' }, { items[1].filename, items[1].lnum, items[1].end_lnum, items[1].type }, 'first item')
  H.eq('/w/a/src/x.py', items[2].filename, 'second range of a')
  H.eq(9, items[2].lnum, 'second range start')
  H.eq('/w/b/src/x.py', items[3].filename, 'b side')
  H.assert(items[3].text:find('conflict: b vs a', 1, true) and items[3].text:find('[content]', 1, true), items[3].text)
  H.eq({ '/w/a/README.md', 1, 'W' }, { items[4].filename, items[4].lnum, items[4].type }, 'overlap without ranges')

  -- Report -> session state -> status lines.
  local sessions = require('agentls.sessions')
  sessions.update_from_report(99, {
    self = 'a',
    report = {
      trunk = { branch = 'main', commit = '0123456789abcdef' },
      sessions = {
        { name = 'a', path = '/w/a', branch = 'a', changed = { 'x', 'y' }, ahead = 2, behind = 1, dirty = true },
        { name = 'b', path = '/w/b', branch = vim.NIL, changed = {}, ahead = 0, behind = 0 },
      },
      overlaps = report.overlaps,
    },
  })
  local lines = commands.status_lines(sessions.get(99), { branch = 'main', commit = '0123456789abcdef' })
  H.eq('trunk main at 01234567', lines[1], 'status trunk line')
  H.eq('* a (a) +2 -1, 2 changed, 2 collisions, dirty', lines[2], 'status line of a')
  H.eq('  b (detached) +0 -0, 0 changed, 2 collisions', lines[3], 'status line of b')
  H.eq('b', sessions.session_of(99, '/w/b/src/x.py').name, 'session of a path')
  H.eq(nil, sessions.session_of(99, '/w/bb/x'), 'a sibling folder is not inside /w/b')

  -- Completion of subcommands.
  H.eq({ 'land', 'land-all' }, require('agentls').complete('la', 'AgentLS la'), 'completion of "la"')

  -- A buffer outside any repository gets no client; an unknown subcommand is refused.
  require('agentls').setup({ cmd = { H.server, 'serve' } })
  local outside = vim.fn.tempname()
  vim.fn.mkdir(outside, 'p')
  local buf = H.edit(outside .. '/notes.txt')
  H.eq(nil, require('agentls').attach(buf), 'attach outside git')
  H.eq(0, #H.clients(), 'clients outside git')
  vim.cmd('AgentLS frobnicate')
  H.assert(H.messages[#H.messages].message:find('unknown subcommand "frobnicate"', 1, true), H.describe())
  vim.fn.delete(outside, 'rf')
end)
