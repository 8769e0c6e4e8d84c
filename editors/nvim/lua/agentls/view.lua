-- The sessions buffer (`:AgentLS`): every session with its role, priority,
-- ahead/behind, changes, collisions and claims, one key per verb, refreshed
-- whenever the server reports a change (fugitive's :Git and neogit's status are
-- the model). Keys are <Plug>(agentls-NAME) mappings (config `mappings`).
local M = {}

local actions = require('agentls.actions')
local client_mod = require('agentls.client')
local config = require('agentls.config')
local highlights = require('agentls.highlights')
local render = require('agentls.render')
local review_state = require('agentls.review.state')
local review_text = require('agentls.review.text')
local semantic = require('agentls.semantic')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

local NS = vim.api.nvim_create_namespace('agentls-sessions')

-- bufnr -> { client_id, items = { [line] = item }, expanded = { [name] = true }, help = bool }
local views = {}

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

local HELP = {
  { 'toggle', 'show or hide the session\'s claims and collisions' },
  { 'open_item', 'on a collision: open the file at its lines; on a session: toggle' },
  { 'land', 'land the session (asks first, showing the plan)' },
  { 'handoff', 'write the session\'s HANDOFF.md and open it' },
  { 'rename', 'rename the session' },
  { 'claim', 'claim globs for the session' },
  { 'release', 'release the session\'s claims (asks before releasing all)' },
  { 'priority', 'set the session\'s landing priority' },
  { 'remove', 'remove the session (asks; a backup ref keeps its work)' },
  { 'restore', 'restore the session (or bring a removed one back) from a backup' },
  { 'new', 'create a session' },
  { 'fork', 'fork the session as a research session' },
  { 'tab', 'open the session\'s worktree in a new tab (:tcd there)' },
  { 'tcd', ':tcd this tab to the session\'s worktree' },
  { 'review', 'review the session (:AgentLS review, at its section)' },
  { 'verify', 'build and test the pairs merged now (on a semantic collision: check it again)' },
  { 'open_log', 'on a semantic collision: open the full log of the failing command' },
  { 'refresh', 're-read every worktree' },
  { 'next_session', 'next session' },
  { 'previous_session', 'previous session' },
  { 'help', 'show or hide this help' },
  { 'close', 'close this window' },
}

local function keys_of(action)
  return render.keys_of('mappings', action)
end

-- --- rendering ----------------------------------------------------------------------

local builder = render.builder
local pad = render.pad

-- A kind as counted in a row: "2 conflicts", "1 research write", "1 semantic conflict".
local COUNTED_KIND = {
  conflict = 'conflict',
  overlap = 'overlap',
  ownership = 'ownership collision',
  ['research-write'] = 'research write',
  semantic = 'semantic conflict',
}

local function kind_counts(collisions)
  local counts, order = {}, {}
  for _, overlap in ipairs(collisions) do
    if not counts[overlap.kind] then
      counts[overlap.kind] = 0
      table.insert(order, overlap.kind)
    end
    counts[overlap.kind] = counts[overlap.kind] + 1
  end
  return counts, order
end

local function lines_text(range)
  if not range then
    return ''
  end
  return range[1] == range[2] and string.format('line %d', range[1]) or string.format('lines %d-%d', range[1], range[2])
end

-- Ranges named per side, as the server's messages and `agentls status` name them:
-- long-lived branches of a real project differ in thousands of places in one file.
local SHOWN_RANGES = 6

local function ranges_text(ranges)
  local parts = {}
  for i, range in ipairs(ranges or {}) do
    if i > SHOWN_RANGES then
      break
    end
    table.insert(parts, lines_text(range))
  end
  local more = #(ranges or {}) - SHOWN_RANGES
  return table.concat(parts, ', ') .. (more > 0 and string.format(' and %d more', more) or '')
end

--- The session's review state, when it has a verdict: "✓ approved", "changes
--- requested", "changed since review", "skipped" (not reviewed: nothing).
local function review_segment(review)
  if not review or review.state == nil or review.state == 'unreviewed' then
    return nil
  end
  local label, group = review_text.state(review)
  return { label .. '  ', group }
end

local function session_row(b, session, widths, state, collisions, review)
  local is_self = session.name == state.self
  local segments = {
    { is_self and '* ' or '  ', 'AgentlsSelf' },
    { pad(session.name, widths.name), is_self and 'AgentlsSelf' or 'AgentlsSession' },
    { '  ' },
  }
  if type(session.remote) == 'table' then
    -- On another machine: where it lives instead of priority and ahead/behind.
    local where = session.remote.wip and string.format('%s/%s uncommitted', tostring(session.remote.user), tostring(session.remote.session))
      or tostring(session.remote.branch or session.branch)
    table.insert(segments, { pad('remote', 9), 'AgentlsRemote' })
    table.insert(segments, { where .. ' on ' .. tostring(session.remote.remote) .. '  ', 'AgentlsRemote' })
  elseif session.is_trunk then
    table.insert(segments, { pad('trunk', 9), 'AgentlsTrunk' })
    table.insert(segments, { pad(present(session.branch) and session.branch or 'detached', 14), 'AgentlsTrunk' })
  else
    table.insert(segments, { pad(session.role or 'code', 9), session.role == 'research' and 'AgentlsResearch' or 'AgentlsRole' })
    table.insert(segments, { pad('p' .. tostring(session.priority or 0), 6), 'AgentlsPriority' })
    table.insert(segments, { string.format('+%d', session.ahead or 0), (session.ahead or 0) > 0 and 'AgentlsAhead' or 'AgentlsClean' })
    table.insert(segments, { ' ' })
    table.insert(segments, { pad(string.format('-%d', session.behind or 0), 5), (session.behind or 0) > 0 and 'AgentlsBehind' or 'AgentlsClean' })
  end
  local changed = tonumber(session.changed) or 0
  table.insert(segments, { pad(string.format('%d changed', changed), 11), changed > 0 and nil or 'AgentlsClean' })
  if session.missing then
    table.insert(segments, { 'folder gone  ', 'AgentlsMissing' })
  elseif session.dirty then
    table.insert(segments, { 'dirty  ', 'AgentlsDirty' })
  end
  if session.landed then
    table.insert(segments, { 'landed  ', 'AgentlsLanded' })
  end
  local reviewed = review_segment(review)
  if reviewed then
    table.insert(segments, reviewed)
  end
  local counts, order = kind_counts(collisions)
  if #order == 0 then
    local total = tonumber(session.collisions) or 0
    if total > 0 then
      table.insert(segments, { actions.plural(total, 'collision'), 'AgentlsConflict' })
    else
      table.insert(segments, { 'no collisions', 'AgentlsClean' })
    end
  else
    for index, kind in ipairs(order) do
      if index > 1 then
        table.insert(segments, { ', ' })
      end
      table.insert(segments, { actions.plural(counts[kind], COUNTED_KIND[kind] or kind), highlights.for_kind(kind) })
    end
  end
  local claims = type(session.claims) == 'table' and session.claims or {}
  if #claims > 0 then
    table.insert(segments, { '  claims ', 'AgentlsHelp' })
    table.insert(segments, { table.concat(claims, ' '), 'AgentlsClaim' })
  end
  b.add(segments, { kind = 'session', name = session.name, session = session })
end

local function session_details(b, session, collisions)
  local item = { kind = 'session', name = session.name, session = session }
  local where = {
    { '    ' },
    { present(session.branch) and ('branch ' .. session.branch) or 'detached', 'AgentlsRole' },
    { '  ' },
    { tostring(session.path or '?'), 'AgentlsPath' },
  }
  if type(session.remote) == 'table' then -- no folder here: say where it lives and who wrote it
    where[4] = { string.format('on %s, by %s (another machine: compare, not change)', tostring(session.remote.remote), tostring(session.remote.author or session.remote.user or '?')), 'AgentlsRemote' }
  end
  if present(session.source) then
    table.insert(where, { '  forked from ' .. session.source, 'AgentlsResearch' })
  end
  b.add(where, item)
  local claims = type(session.claims) == 'table' and session.claims or {}
  b.add({ { '    claims: ', 'AgentlsHelp' }, { #claims > 0 and table.concat(claims, ', ') or 'none', #claims > 0 and 'AgentlsClaim' or 'AgentlsClean' } }, item)
  if #collisions == 0 then
    b.add({ { '    no collisions', 'AgentlsClean' } }, item)
  end
  for _, overlap in ipairs(collisions) do
    local names = overlap.sessions or {}
    local other = names[1] == session.name and names[2] or names[1]
    local mine = (overlap.ranges or {})[session.name] or {}
    local theirs = other and (overlap.ranges or {})[other] or {}
    local detail = type(overlap.detail) == 'table' and #overlap.detail > 0 and ('  [' .. table.concat(overlap.detail, ', ') .. ']') or ''
    -- A session may see the collision at a path of its own (a rename; a semantic
    -- conflict points each session at its own file).
    local path = type(overlap.paths) == 'table' and overlap.paths[session.name] or overlap.path
    local check = overlap.kind == 'semantic' and type(overlap.semantic) == 'table' and overlap.semantic or nil
    if check then
      -- Merged with trunk: one session, the other side is trunk's branch.
      other = other or (tostring(check.trunk or 'trunk') .. ' (trunk)')
      theirs, detail = {}, '  [' .. semantic.check_text(check) .. ']'
    end
    b.add({
      { '    ' },
      { pad(overlap.kind, 15), highlights.for_kind(overlap.kind) },
      { path, 'AgentlsPath' },
      { #mine > 0 and ('  ' .. ranges_text(mine)) or '' },
      { '  with ' },
      { tostring(other or '?'), 'AgentlsSession' },
      { #theirs > 0 and (' ' .. ranges_text(theirs)) or '' },
      { detail, 'AgentlsHelp' },
    }, {
      kind = 'collision',
      name = session.name,
      session = session,
      path = path,
      line = mine[1] and mine[1][1] or 1,
      semantic = check,
    })
  end
end

local function section(b, title, count, hint)
  b.add({ { string.format('%s (%d)', title, count), 'AgentlsSection' }, { hint and ('   ' .. hint) or '', 'AgentlsHelp' } })
end

--- The buffer's lines, highlights and items for a client's state (exposed for tests).
function M.build(client_id, view)
  view = view or { expanded = {} }
  local b = builder()
  local state = sessions.get(client_id) or { sessions = {} }
  local report = state.report or {}
  local trunk = type(report.trunk) == 'table' and report.trunk or {}
  local header = {
    { 'agentls', 'AgentlsHeader' },
    { '  ' },
    { (tostring(report.repository or ''):gsub('/%.git/?$', '')), 'AgentlsPath' },
  }
  if present(trunk.branch) then
    table.insert(header, { '  trunk ' })
    table.insert(header, { trunk.branch, 'AgentlsTrunk' })
    table.insert(header, { ' ' .. tostring(trunk.commit or ''):sub(1, 8), 'AgentlsPath' })
  end
  local help_key = keys_of('help')[1]
  if help_key then
    table.insert(header, { '   ' .. help_key .. ' for help', 'AgentlsHelp' })
  end
  b.add(header)
  for _, operation in ipairs(require('agentls.operations').running(client_id)) do
    b.add({ { 'running: ', 'AgentlsRunning' }, { tostring(operation.title or operation.operation) } })
  end
  local checks = semantic.status_text(semantic.get(client_id))
  if checks then
    b.add({ { 'semantic checks: ', 'AgentlsChecks' }, { checks } })
  end
  for _, warning in ipairs(type(report.warnings) == 'table' and report.warnings or {}) do
    b.add({ { 'warning: ' .. tostring(warning), 'AgentlsWarning' } })
  end
  if view.help then
    b.add({})
    for _, entry in ipairs(HELP) do
      local keys = keys_of(entry[1])
      if #keys > 0 then
        b.add({ { '  ' .. pad(table.concat(keys, ' '), 12), 'AgentlsKey' }, { entry[2], 'AgentlsHelp' } })
      end
    end
  end

  local groups = { active = {}, research = {}, landed = {}, remote = {} }
  local width = 4
  for _, session in ipairs(state.sessions) do
    width = math.max(width, vim.fn.strdisplaywidth(session.name))
    if session.landed then
      table.insert(groups.landed, session)
    elseif session.role == 'research' then
      table.insert(groups.research, session)
    elseif session.role == 'remote' then
      table.insert(groups.remote, session)
    else
      table.insert(groups.active, session)
    end
  end
  local widths = { name = width }
  local function list(title, members, hint)
    if #members == 0 then
      return
    end
    b.add({})
    section(b, title, #members, hint)
    for _, session in ipairs(members) do
      local collisions = sessions.collisions_of(client_id, session.name)
      session_row(b, session, widths, state, collisions, review_state.get(client_id, session.name))
      if view.expanded[session.name] then
        session_details(b, session, collisions)
      end
    end
  end
  list('Sessions', groups.active)
  list('Research', groups.research)
  list('Remote', groups.remote, 'on other machines: fetched, never changed from here')
  local remove_key = keys_of('remove')[1]
  list('Landed', groups.landed, remove_key and (remove_key .. ' removes one') or nil)

  local removed = view.removed or {}
  if #removed > 0 then
    b.add({})
    local restore_key = keys_of('restore')[1]
    section(b, 'Removed', #removed, restore_key and (restore_key .. ' brings one back') or nil)
    for _, entry in ipairs(removed) do
      local latest = entry.refs[#entry.refs]
      b.add({
        { '  ' },
        { pad(entry.name, width), 'AgentlsRemoved' },
        { '  backup ' },
        { tostring(latest.stamp), 'AgentlsPath' },
        { #entry.refs > 1 and string.format('  (%d backups)', #entry.refs) or '' },
      }, { kind = 'removed', name = entry.name, ref = latest.ref })
    end
  end
  if #state.sessions == 0 then
    b.add({})
    b.add({ { 'waiting for the server\'s first report...', 'AgentlsHelp' } })
  end
  return b
end

local function item_key(item)
  if not item then
    return nil
  end
  return table.concat({ item.kind, item.name or '', item.path or '', tostring(item.line or '') }, '\0')
end

local function item_at(bufnr, line)
  local view = views[bufnr]
  return view and view.items[line or vim.api.nvim_win_get_cursor(0)[1]] or nil
end

--- Redraws a sessions buffer from the stored state, keeping the cursor on its item.
function M.render(bufnr)
  local view = views[bufnr]
  if not view or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local client = vim.lsp.get_client_by_id(view.client_id)
  if client then
    local ok, _, removed = pcall(actions.restorable, { client = client })
    view.removed = ok and removed or {}
  end
  local b = M.build(view.client_id, view)
  render.draw(bufnr, NS, b, view.items, item_key)
  view.items = b.items
end

--- Asks the server for the full report, then redraws (also after a sessionsChanged).
function M.refresh(bufnr)
  local view = views[bufnr]
  local client = view and vim.lsp.get_client_by_id(view.client_id)
  if not client then
    return
  end
  client_mod.execute(client, 'agentls.sessions', {}, function(err, answer)
    if not err and type(answer) == 'table' and type(answer.report) == 'table' then
      sessions.update_from_report(client.id, answer)
    end
    if views[bufnr] then
      M.render(bufnr)
    end
  end)
end

local pending_refresh = {}

local function on_sessions_changed()
  for bufnr in pairs(views) do
    if not vim.api.nvim_buf_is_valid(bufnr) then
      views[bufnr] = nil
    elseif not pending_refresh[bufnr] then
      -- Several notifications in a burst: one request.
      pending_refresh[bufnr] = true
      vim.defer_fn(function()
        pending_refresh[bufnr] = nil
        if views[bufnr] then
          M.refresh(bufnr)
        end
      end, 50)
    end
  end
end

local function map_keys(bufnr)
  render.map_plug_keys(bufnr, 'mappings', vim.tbl_keys(config.defaults.mappings), 'agentls')
end

local function buffer_name(client)
  return render.repository_buffer_name(client, 'sessions')
end

--- Opens (or shows again) the sessions buffer of a client's repository.
function M.open(client)
  highlights.setup()
  local name = buffer_name(client)
  local bufnr = vim.fn.bufnr(name)
  if bufnr == -1 or not views[bufnr] then
    if bufnr == -1 then
      bufnr = vim.api.nvim_create_buf(false, true)
      vim.api.nvim_buf_set_name(bufnr, name)
    end
    vim.bo[bufnr].buftype = 'nofile'
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].filetype = 'agentls'
    views[bufnr] = { client_id = client.id, items = {}, expanded = {}, help = false }
    map_keys(bufnr)
    local group = vim.api.nvim_create_augroup('agentls-view', { clear = false })
    vim.api.nvim_create_autocmd('BufWipeout', {
      group = group,
      buffer = bufnr,
      callback = function()
        views[bufnr] = nil
      end,
    })
    if not M.listening then
      M.listening = true
      vim.api.nvim_create_autocmd('User', {
        group = group,
        pattern = 'AgentlsSessionsChanged',
        callback = on_sessions_changed,
        desc = 'agentls: refresh the sessions buffer',
      })
      vim.api.nvim_create_autocmd('User', {
        group = group,
        pattern = 'AgentlsReviewChanged',
        callback = function()
          for view_buf in pairs(views) do
            M.render(view_buf) -- the review states are already here: no request
          end
        end,
        desc = 'agentls: review states in the sessions buffer',
      })
      vim.api.nvim_create_autocmd('User', {
        group = group,
        pattern = 'AgentlsSemanticChanged',
        callback = function()
          for view_buf in pairs(views) do
            M.render(view_buf) -- where the semantic checks stand: no request
          end
        end,
        desc = 'agentls: semantic checks in the sessions buffer',
      })
    end
  end
  views[bufnr].client_id = client.id
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
  else
    vim.api.nvim_set_current_win(win)
  end
  render.list_window()
  local state = sessions.get(client.id)
  if not state or not state.report then
    actions.load({ client = client })
  end
  M.render(bufnr)
  -- Land on the first session rather than the header.
  for line = 1, vim.api.nvim_buf_line_count(bufnr) do
    local item = views[bufnr].items[line]
    if item and item.kind == 'session' then
      pcall(vim.api.nvim_win_set_cursor, 0, { line, 0 })
      break
    end
  end
  M.refresh(bufnr)
  return bufnr
end

--- The client of a sessions buffer, or nil for other buffers.
function M.client_for(bufnr)
  local view = views[bufnr]
  return view and vim.lsp.get_client_by_id(view.client_id) or nil
end

--- The sessions buffer's item under the cursor (tests and mappings).
function M.item(bufnr, line)
  return item_at(bufnr, line)
end

-- --- actions ---------------------------------------------------------------------------

local function move(step)
  local bufnr = vim.api.nvim_get_current_buf()
  local view = views[bufnr]
  if not view then
    return
  end
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local last = vim.api.nvim_buf_line_count(bufnr)
  local current = view.items[line] and view.items[line].name
  local probe = line + step
  while probe >= 1 and probe <= last do
    local item = view.items[probe]
    if item and item.kind == 'session' and item.name ~= current then
      -- Land on the session's own row, not a line of its details.
      while probe > 1 and view.items[probe - 1] and view.items[probe - 1].name == item.name and view.items[probe - 1].kind == 'session' do
        probe = probe - 1
      end
      vim.api.nvim_win_set_cursor(0, { probe, 0 })
      return
    end
    probe = probe + step
  end
end

--- Opens a collision's file in the session's worktree at its line, in the window
--- the sessions buffer was opened from (else a split).
local function open_collision(item)
  local path = item.session and item.session.path
  if not present(path) then
    return -- a remote session has no worktree here
  end
  local file = path .. '/' .. item.path
  vim.cmd('wincmd p')
  if vim.api.nvim_get_current_buf() == nil or views[vim.api.nvim_get_current_buf()] then
    vim.cmd('split')
  end
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  pcall(vim.api.nvim_win_set_cursor, 0, { item.line or 1, 0 })
end

-- action -> function(ctx, item) inside the sessions buffer
local in_view = {
  toggle = function(ctx, item, bufnr)
    if item and item.name and item.kind ~= 'removed' then
      views[bufnr].expanded[item.name] = not views[bufnr].expanded[item.name] or nil
      M.render(bufnr)
    end
  end,
  open_item = function(ctx, item, bufnr, run)
    if item and item.kind == 'collision' then
      return open_collision(item)
    end
    run('toggle')
  end,
  land = function(ctx, item)
    actions.land(ctx, item and item.name, true)
  end,
  handoff = function(ctx, item)
    actions.handoff(ctx, item and item.name)
  end,
  rename = function(ctx, item)
    actions.rename(ctx, item and item.kind ~= 'removed' and item.name or nil)
  end,
  claim = function(ctx, item)
    actions.claim(ctx, item and item.name, nil, false)
  end,
  release = function(ctx, item)
    actions.release(ctx, item and item.name)
  end,
  priority = function(ctx, item)
    actions.priority(ctx, item and item.name)
  end,
  remove = function(ctx, item)
    if item and item.kind == 'removed' then
      return ui.notify(string.format('%s is already removed', item.name), vim.log.levels.WARN)
    end
    actions.remove(ctx, item and item.name, false)
  end,
  restore = function(ctx, item)
    actions.restore(ctx, item and item.name)
  end,
  new = function(ctx)
    actions.new(ctx)
  end,
  fork = function(ctx, item)
    actions.fork(ctx, nil, item and item.kind ~= 'removed' and item.name or nil)
  end,
  tab = function(ctx, item)
    actions.open(ctx, item and item.name, 'tab')
  end,
  tcd = function(ctx, item)
    actions.open(ctx, item and item.name, 'tcd')
  end,
  review = function(ctx, item)
    require('agentls.review').open(ctx.client, item and item.kind ~= 'removed' and item.name or nil)
  end,
  verify = function(ctx, item)
    local pair = item and item.semantic and type(item.semantic.pair) == 'table' and item.semantic.pair or nil
    semantic.verify(ctx, pair, pair ~= nil)
  end,
  open_log = function(_, item)
    if not (item and item.semantic) then
      return ui.notify('put the cursor on a semantic collision (= shows a session\'s collisions)', vim.log.levels.WARN)
    end
    semantic.open_log(item.semantic.log)
  end,
  refresh = function(ctx, _, bufnr)
    client_mod.execute(ctx.client, 'agentls.refresh', {}, function(err, answer)
      if err then
        return actions.fail(err)
      end
      if type(answer) == 'table' and type(answer.report) == 'table' then
        sessions.update_from_report(ctx.client.id, answer)
      end
      M.render(bufnr)
    end)
  end,
  next_session = function()
    move(1)
  end,
  previous_session = function()
    move(-1)
  end,
  help = function(_, _, bufnr)
    views[bufnr].help = not views[bufnr].help
    M.render(bufnr)
  end,
  close = function()
    if #vim.api.nvim_list_wins() > 1 then
      vim.cmd('close')
    else
      vim.cmd('enew')
    end
  end,
}

-- Outside the sessions buffer: the current buffer's session (or a picker).
local elsewhere = {
  land = function(ctx)
    actions.land(ctx, nil, true)
  end,
  handoff = actions.handoff,
  rename = actions.rename,
  claim = function(ctx)
    actions.claim(ctx, nil, nil, false)
  end,
  release = actions.release,
  priority = actions.priority,
  remove = function(ctx)
    actions.remove(ctx, nil, false)
  end,
  restore = actions.restore,
  new = actions.new,
  fork = actions.fork,
  tab = function(ctx)
    actions.open(ctx, nil, 'tab')
  end,
  tcd = function(ctx)
    actions.open(ctx, nil, 'tcd')
  end,
  sessions = function(ctx)
    M.open(ctx.client)
  end,
  review = function(ctx)
    require('agentls.review').open(ctx.client)
  end,
  verify = function(ctx)
    semantic.verify(ctx)
  end,
}

--- What a <Plug>(agentls-NAME) mapping does: in the sessions buffer, to the
--- session under the cursor; elsewhere, to the current buffer's session.
function M.act(action)
  local bufnr = vim.api.nvim_get_current_buf()
  local view = views[bufnr]
  if view then
    local client = vim.lsp.get_client_by_id(view.client_id)
    if not client then
      return ui.notify('the agentls server of this buffer stopped (:AgentLS restart)', vim.log.levels.WARN)
    end
    local ctx = { client = client, bufnr = bufnr }
    local handler = in_view[action]
    if handler then
      local function run(other)
        in_view[other](ctx, item_at(bufnr), bufnr, run)
      end
      return handler(ctx, item_at(bufnr), bufnr, run)
    end
  end
  local handler = elsewhere[action]
  if not handler then
    return
  end
  local client, err = client_mod.resolve(bufnr)
  if not client then
    return ui.notify(err, vim.log.levels.ERROR)
  end
  handler({ client = client, bufnr = bufnr })
end

--- <Plug> names: the buffer actions plus `sessions` (open this buffer).
function M.plug_names()
  local names = { 'sessions' }
  for action in pairs(config.defaults.mappings) do
    table.insert(names, action)
  end
  table.sort(names)
  return names
end

return M
