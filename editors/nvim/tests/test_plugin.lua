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
  H.eq({ '/w/a/src/x.py', 3, 5, 'W' }, { items[1].filename, items[1].lnum, items[1].end_lnum, items[1].type }, 'first item')
  H.eq('/w/a/src/x.py', items[2].filename, 'second range of a')
  H.eq(9, items[2].lnum, 'second range start')
  H.eq('/w/b/src/x.py', items[3].filename, 'b side')
  H.assert(items[3].text:find('conflict: b vs a', 1, true) and items[3].text:find('[content]', 1, true), items[3].text)
  H.eq({ '/w/a/README.md', 1, 'I' }, { items[4].filename, items[4].lnum, items[4].type }, 'overlap without ranges')

  -- Report -> session state.
  local sessions = require('agentls.sessions')
  sessions.update_from_report(99, {
    self = 'a',
    report = {
      trunk = { branch = 'main', commit = '0123456789abcdef' },
      sessions = {
        { name = 'a', path = '/w/a', branch = 'a', changed = { 'x', 'y' }, ahead = 2, behind = 1, dirty = true, claims = { 'src/**' } },
        { name = 'b', path = '/w/b', branch = vim.NIL, changed = {}, ahead = 0, behind = 0, claims = {} },
      },
      overlaps = report.overlaps,
    },
  })
  H.eq('b', sessions.session_of(99, '/w/b/src/x.py').name, 'session of a path')
  H.eq(nil, sessions.session_of(99, '/w/bb/x'), 'a sibling folder is not inside /w/b')
  -- A notification without claims (an older server) keeps the report's.
  sessions.update(99, { self = 'a', sessions = { { name = 'a', path = '/w/a', collisions = 2 } } })
  H.eq({ 'src/**' }, sessions.find(99, 'a').claims, 'claims kept across a notification')
  H.eq(2, #sessions.collisions_of(99, 'a'), 'collisions of a from the last report')

  -- Quickfix types are the diagnostics' severities (settings.severity).
  H.eq('W', commands.quickfix_type('conflict'), 'conflict: warning')
  H.eq('I', commands.quickfix_type('overlap'), 'overlap: information')

  -- Refusals are worded from their code; unknown codes show the neutral message.
  local refusals = require('agentls.refusals')
  local taken = refusals.describe({
    code = -32001,
    message = 'claim taken',
    data = { code = 'claim-taken', message = 'claim taken', data = { clashes = { { glob = 'src/**', owner = 'billing', theirs = 'src/**' } }, can_force = true } },
  })
  H.eq("src/** overlaps billing's claim src/**; :AgentLS! claim src/** takes it", taken, 'claim-taken wording')
  H.eq('something neutral', (refusals.describe({ data = { code = 'brand-new', message = 'something neutral', data = {} } })), 'unknown code')
  H.eq('plain', (refusals.describe({ code = -32001, message = 'plain' })), 'no code (older server)')
  local _, code = refusals.describe({ ok = false, error = { code = 'unlanded-work', message = 'x', data = { session = 'a', unlanded = 2, trunk = 'main' } } })
  H.eq('unlanded-work', code, 'code of a result with ok = false')

  -- Long operations: the answer {operation} waits for agentls/operationFinished,
  -- in either order; a failed one is a refusal with its code.
  local operations = require('agentls.operations')
  local got = {}
  local function collector(id)
    return function(err, result)
      got[id] = { err = err, result = result }
    end
  end
  H.assert(operations.is_started({ ok = true, operation = 'op-1', title = 'Landing a' }), 'an operation answer')
  H.assert(not operations.is_started({ ok = true, session = 'a' }), 'a synchronous result')
  operations.wait(7, { ok = true, operation = 'op-1', title = 'Landing a' }, collector(1))
  H.eq(1, #operations.running(7), 'running operations of client 7')
  operations.finished(nil, { operation = 'op-1', ok = true, result = { ok = true, session = 'a' } }, { client_id = 7 })
  operations.finished(nil, { operation = 'op-2', ok = false, result = vim.NIL, error = { code = 'lock-held', message = 'held', data = {} } }, { client_id = 7 })
  operations.wait(7, { ok = true, operation = 'op-2', title = 'Landing b' }, collector(2)) -- its end came first
  vim.wait(200, function()
    return got[1] ~= nil and got[2] ~= nil
  end)
  H.eq({ ok = true, session = 'a' }, got[1] and got[1].result, 'result of op-1')
  H.eq('lock-held', got[2] and require('agentls.refusals').code(got[2].err), 'code of op-2')
  H.eq(0, #operations.running(7), 'nothing running after both ended')

  -- Options: mappings and open_new are checked too.
  ok, err = pcall(require('agentls').setup, { mappings = { lnad = 'L' } })
  H.assert(not ok and tostring(err):find('mappings: unknown action "lnad"', 1, true), 'mappings error: ' .. tostring(err))
  ok, err = pcall(require('agentls').setup, { open_new = 'window' })
  H.assert(not ok and tostring(err):find('open_new', 1, true), 'open_new error: ' .. tostring(err))

  -- Every action of the sessions buffer has a <Plug> mapping users can map.
  for _, action in ipairs(require('agentls.config').actions()) do
    local plug = '<Plug>(agentls-' .. action:gsub('_', '-') .. ')'
    H.assert(next(vim.fn.maparg(plug, 'n', false, true)) ~= nil, plug .. ' is not defined')
  end
  H.assert(next(vim.fn.maparg('<Plug>(agentls-sessions)', 'n', false, true)) ~= nil, '<Plug>(agentls-sessions)')
  -- ...and every action of the review buffer (and opening it).
  for _, name in ipairs(require('agentls.review').plug_names()) do
    local plug = '<Plug>(agentls-' .. name .. ')'
    H.assert(next(vim.fn.maparg(plug, 'n', false, true)) ~= nil, plug .. ' is not defined')
  end
  ok, err = pcall(require('agentls').setup, { review_mappings = { aprove = 'a' } })
  H.assert(not ok and tostring(err):find('review_mappings: unknown action "aprove"', 1, true), 'review_mappings error: ' .. tostring(err))
  ok, err = pcall(require('agentls').setup, { review_order = 'random' })
  H.assert(not ok and tostring(err):find('review_order: expected "oldest-first" or "newest-first"', 1, true), 'review_order error: ' .. tostring(err))

  -- Review states: worded one way everywhere; a verdict on an older head is
  -- "changed since review" whatever it was. The sessions buffer shows them from
  -- the report's `review` list (what agentls/reviewChanged also carries).
  local words = require('agentls.review.text')
  H.eq('✓ approved', (words.state({ state = 'approved', approved = true, changedSinceReview = false })), 'approved')
  H.eq('changed since review', (words.state({ state = 'approved', approved = false, changedSinceReview = true })), 'approved, then moved')
  H.eq('changes requested', (words.state({ state = 'changes-requested', changedSinceReview = false })), 'changes requested')
  H.eq('not reviewed', (words.state({ state = 'unreviewed', changedSinceReview = false })), 'unreviewed')
  H.eq('blocked: uncommitted work, conflicts with main', (words.landable({ now = false, blockers = { { code = 'uncommitted' }, { code = 'trunk-conflict' } } }, 'main')), 'blockers')
  sessions.update_from_report(98, {
    self = 'a',
    report = {
      trunk = { branch = 'main', commit = '0123456789abcdef' },
      sessions = {
        { name = 'a', path = '/w/a', branch = 'a', changed = { 'x' }, ahead = 1, behind = 0, claims = {} },
        { name = 'b', path = '/w/b', branch = 'b', changed = { 'y' }, ahead = 1, behind = 0, claims = {} },
        { name = 'c', path = '/w/c', branch = 'c', changed = { 'z' }, ahead = 1, behind = 0, claims = {} },
      },
      overlaps = {},
      review = {
        { session = 'a', state = 'approved', approved = true, changedSinceReview = false },
        { session = 'b', state = 'changes-requested', approved = false, changedSinceReview = true },
        { session = 'c', state = 'unreviewed', approved = false, changedSinceReview = false },
      },
    },
  })
  local built = table.concat(require('agentls.view').build(98).lines, '\n')
  H.assert(built:find('\n. a .*✓ approved'), 'a approved in the sessions buffer:\n' .. built)
  H.assert(built:find('\n  b .*changed since review'), 'b changed since review:\n' .. built)
  H.assert(not built:find('\n  c [^\n]*review'), 'nothing for an unreviewed session:\n' .. built)

  -- Highlight groups are default links: a user's own definition wins.
  vim.cmd('highlight AgentlsConflict guifg=#123456')
  require('agentls.highlights').setup()
  H.eq(1, vim.fn.hlexists('AgentlsOverlap'), 'AgentlsOverlap defined')
  H.assert(vim.fn.execute('highlight AgentlsConflict'):find('123456', 1, true), 'the user\'s AgentlsConflict kept')

  -- Completion of subcommands.
  H.eq({ 'land', 'land-all' }, require('agentls').complete('la', 'AgentLS la'), 'completion of "la"')
  H.eq({ 'recover', 'refresh', 'release', 'remove', 'rename', 'restart', 'restore', 'review' }, require('agentls').complete('re', 'AgentLS re'), 'completion of "re"')

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
