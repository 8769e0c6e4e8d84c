-- The review buffer (`:AgentLS review`): the playbook's sweep, "review output
-- from oldest to newest". The queue in cascade order (one row per session: its
-- review state, whether it lands now or what blocks it, diffstat, collisions,
-- scope, last checks), then per session what would land: commits and files.
-- One key per verb (fugitive's :Git and neogit's status are the model), and it
-- redraws itself on `agentls/reviewChanged` and `agentls/sessionsChanged`.
-- Everything shown comes from the server's `agentls.review.queue` and
-- `agentls.review.item`; nothing is computed here.
local M = {}

local actions = require('agentls.actions')
local client_mod = require('agentls.client')
local config = require('agentls.config')
local highlights = require('agentls.highlights')
local render = require('agentls.render')
local text = require('agentls.review.text')
local ui = require('agentls.ui')

local NS = vim.api.nvim_create_namespace('agentls-review')
local present = text.present
local pad = render.pad

-- bufnr -> { client_id, queue, items = { [name] = item }, errors = { [name] = text },
--            lines = { [line] = entry }, collapsed = { [name] = true }, help, generation, focus }
local views = {}

local HELP = {
  { 'toggle', 'show or hide the session\'s details' },
  { 'open_item', 'on a file or a collision: its diff in a tab; a commit: git show; a note: open it; a queue row: the session' },
  { 'diff', 'the session\'s diff in a tab (from the file under the cursor)' },
  { 'approve', 'approve the session at the head shown' },
  { 'approve_land', 'approve and land now (asks first, showing the plan)' },
  { 'request_changes', 'request changes: type notes, :w sends them into its HANDOFF.md' },
  { 'skip', 'skip: looked at, decide later' },
  { 'remove', 'remove the session (asks; a backup ref keeps its work)' },
  { 'run_checks', 'run trunk\'s build and tests on the session\'s HEAD' },
  { 'next_session', 'next session' },
  { 'previous_session', 'previous session' },
  { 'next_file', 'next file (in a diff tab: show it)' },
  { 'previous_file', 'previous file' },
  { 'refresh', 're-read every worktree' },
  { 'help', 'show or hide this help' },
  { 'close', 'close the review' },
}

local NOT_QUEUED = {
  research = 'research fork',
  trunk = 'trunk',
  missing = 'folder gone',
  ['no-commits'] = 'no commits',
  ['nothing-to-review'] = 'nothing to review',
}

local function keys_of(action)
  return render.keys_of('review_mappings', action)
end

local function newest_first()
  return config.options.review_order == 'newest-first'
end

-- --- rendering ----------------------------------------------------------------------------

local function header(b, view)
  local queue = view.queue or {}
  local trunk = type(queue.trunk) == 'table' and queue.trunk or {}
  local client = vim.lsp.get_client_by_id(view.client_id)
  local root = client and client.config and client.config.root_dir or ''
  local repo = require('agentls.git').repository(root)
  local segments = {
    { 'agentls review', 'AgentlsHeader' },
    { '  ' },
    { repo and (repo.common_dir:gsub('/%.git$', '')) or root, 'AgentlsPath' },
  }
  if present(trunk.branch) then
    table.insert(segments, { '  trunk ' })
    table.insert(segments, { trunk.branch, 'AgentlsTrunk' })
    table.insert(segments, { ' ' .. text.short(trunk.commit), 'AgentlsPath' })
  end
  table.insert(segments, { '  ' .. (queue.order or config.options.review_order):gsub('%-', ' '), 'AgentlsHelp' })
  local help_key = keys_of('help')[1]
  if help_key then
    table.insert(segments, { '   ' .. help_key .. ' for help', 'AgentlsHelp' })
  end
  b.add(segments)
  if queue.requireReview == true then
    b.add({ { 'require-review is on: a session lands only when its current head is approved', 'AgentlsWarning' } })
  end
  if present(queue.configError) then
    b.add({ { 'warning: ' .. tostring(queue.configError), 'AgentlsWarning' } })
  end
  for _, operation in ipairs(require('agentls.operations').running(view.client_id)) do
    b.add({ { 'running: ', 'AgentlsRunning' }, { tostring(operation.title or operation.operation) } })
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
end

--- The queue: one row per session.
local function queue_rows(b, view)
  local queue = view.queue
  local items = type(queue.items) == 'table' and queue.items or {}
  local trunk = type(queue.trunk) == 'table' and queue.trunk.branch or 'trunk'
  b.add({})
  b.add({ { string.format('Queue (%d)', #items), 'AgentlsSection' } })
  local rows, widths = {}, {}
  for _, item in ipairs(items) do
    local state, state_group = text.state(item.review)
    local landable, landable_group = text.landable(item.landable, trunk)
    local collisions, collisions_group = text.collisions(item.collisions)
    local scope, scope_group = text.scope(item.scope)
    local checks, checks_group = text.checks(item.checks)
    local cells = {
      { string.format('%s.', tostring(item.position or #rows + 1)) },
      { item.session, 'AgentlsSession' },
      { state, state_group },
      { landable, landable_group },
      { text.stat(item.stat) },
      { collisions, collisions_group },
      { scope, scope_group },
      { checks, checks_group },
    }
    for index, cell in ipairs(cells) do
      widths[index] = math.max(widths[index] or 0, vim.fn.strdisplaywidth(cell[1]))
    end
    table.insert(rows, { cells = cells, item = item })
  end
  for _, row in ipairs(rows) do
    local segments = { { '  ' } }
    for index, cell in ipairs(row.cells) do
      local last = index == #row.cells
      if index == 1 then
        -- "1." right-aligned, one space before the name.
        table.insert(segments, { string.rep(' ', widths[1] - vim.fn.strdisplaywidth(cell[1])) .. cell[1] .. ' ' })
      else
        table.insert(segments, { last and cell[1] or pad(cell[1], widths[index]), cell[2] })
        if not last then
          table.insert(segments, { '  ' })
        end
      end
    end
    b.add(segments, { kind = 'queue', name = row.item.session })
  end
  if #items == 0 then
    b.add({ { '  nothing to review', 'AgentlsClean' } })
  end
  local others = {}
  for _, entry in ipairs(type(queue.notQueued) == 'table' and queue.notQueued or {}) do
    table.insert(others, string.format('%s (%s)', tostring(entry.session), NOT_QUEUED[entry.reason] or tostring(entry.reason)))
  end
  if #others > 0 then
    b.add({ { '  not queued: ' .. table.concat(others, ', '), 'AgentlsHelp' } })
  end
end

local function detail(b, name, label, segments)
  local line = { { '    ' .. label .. ': ', 'AgentlsHelp' } }
  vim.list_extend(line, segments)
  b.add(line, { kind = 'session', name = name })
end

--- One session's section: what would land, and what the review knows about it.
local function section(b, view, summary)
  local name = summary.session
  local item = view.items[name] or summary
  local trunk = type(item.trunk) == 'table' and item.trunk.branch or (view.queue.trunk or {}).branch or 'trunk'
  b.add({})
  local state, state_group = text.state(item.review)
  b.add({
    { string.format('%s. ', tostring(item.position or '?')), 'AgentlsSection' },
    { name, 'AgentlsSection' },
    { '  ' },
    { state, state_group },
    { '  branch ', 'AgentlsHelp' },
    { present(item.branch) and item.branch or 'detached', 'AgentlsRole' },
    { '  p' .. tostring(item.priority or 0), 'AgentlsPriority' },
    { string.format('  head %s on base %s, ', text.short(item.head), text.short(item.base)), 'AgentlsPath' },
    { string.format('%d behind %s', tonumber(item.behind) or 0, trunk), (tonumber(item.behind) or 0) > 0 and 'AgentlsBehind' or 'AgentlsPath' },
  }, { kind = 'session', name = name, header = true })
  if view.collapsed[name] then
    return
  end
  b.add({ { '    ' .. tostring(item.path or ''), 'AgentlsPath' } }, { kind = 'session', name = name })
  local review = type(item.review) == 'table' and item.review or {}
  detail(b, name, 'review', { { text.review_sentence(review), state_group } })
  if present(review.notes) then
    for _, line in ipairs(vim.split(tostring(review.notes), '\n', { plain = true })) do
      b.add({ { '      > ' .. line, 'AgentlsHelp' } }, { kind = 'session', name = name })
    end
  end
  local landable = type(item.landable) == 'table' and item.landable or {}
  local _, landable_group = text.landable(landable, trunk)
  detail(b, name, 'landable', { { landable.now == true and 'landable now' or 'not now', landable_group } })
  for _, blocker in ipairs(type(landable.blockers) == 'table' and landable.blockers or {}) do
    b.add({ { '      ' .. tostring(blocker.message), 'AgentlsBlocked' } }, { kind = 'session', name = name })
  end
  for _, warning in ipairs(type(landable.warnings) == 'table' and landable.warnings or {}) do
    b.add({ { '      note: ' .. tostring(warning.message), 'AgentlsWarning' } }, { kind = 'session', name = name })
  end
  local collisions, collisions_group = text.collisions(item.collisions)
  detail(b, name, 'collisions', { { collisions == 'no collisions' and 'none' or collisions, collisions_group } })
  for _, collision in ipairs(type(item.collisionList) == 'table' and item.collisionList or {}) do
    local others = vim.tbl_filter(function(other)
      return other ~= name
    end, type(collision.sessions) == 'table' and collision.sessions or {})
    b.add({
      { '      ' },
      { pad(tostring(collision.kind), 15), highlights.for_kind(collision.kind) },
      { tostring(collision.path), 'AgentlsPath' },
      { #others > 0 and ('  with ' .. table.concat(others, ', ')) or '' },
    }, { kind = 'collision', name = name, path = collision.path })
  end
  local scope = type(item.scope) == 'table' and item.scope or {}
  local claims = type(scope.claims) == 'table' and scope.claims or {}
  local outside = type(scope.outside) == 'table' and scope.outside or {}
  if #claims == 0 then
    detail(b, name, 'scope', { { 'no claims', 'AgentlsClean' } })
  else
    detail(b, name, 'scope', {
      { 'claims ' },
      { table.concat(claims, ' '), 'AgentlsClaim' },
      #outside > 0 and { '; outside them: ' .. table.concat(outside, ', '), 'AgentlsOutsideClaims' } or { '; stayed inside them', 'AgentlsClean' },
    })
  end
  local _, checks_group = text.checks(item.checks)
  local run_key = keys_of('run_checks')[1]
  detail(b, name, 'checks', {
    { text.checks_sentence(item.checks), checks_group },
    { type(item.checks) ~= 'table' and run_key and ('  (' .. run_key .. ' runs them)') or '', 'AgentlsHelp' },
  })
  local notes = type(item.notes) == 'table' and item.notes or {}
  local note_names = {}
  for _, note in ipairs({ 'BRIEF.md', 'HANDOFF.md' }) do
    if notes[note] ~= nil and notes[note] ~= false and notes[note] ~= vim.NIL then
      table.insert(note_names, note)
    end
  end
  if #note_names == 0 then
    detail(b, name, 'notes', { { 'none', 'AgentlsClean' } })
  else
    for index, note in ipairs(note_names) do
      b.add({ { index == 1 and '    notes: ' or '           ', 'AgentlsHelp' }, { note, 'AgentlsPath' } }, { kind = 'note', name = name, path = note })
    end
  end

  if view.errors[name] then
    b.add({ { '    could not read the item: ' .. view.errors[name], 'AgentlsWarning' } }, { kind = 'session', name = name })
    return
  end
  if not view.items[name] then
    b.add({ { '    loading...', 'AgentlsHelp' } }, { kind = 'session', name = name })
    return
  end
  local commits = type(item.commits) == 'table' and item.commits or {}
  b.add({ { string.format('    commits (%d)', tonumber(item.ahead) or #commits), 'AgentlsHelp' } }, { kind = 'session', name = name })
  for _, commit in ipairs(commits) do
    b.add({
      { '      ' },
      { tostring(commit.id):sub(1, 10), 'AgentlsCommit' },
      { '  ' .. tostring(commit.summary) },
    }, { kind = 'commit', name = name, commit = commit.id })
  end
  if (tonumber(item.ahead) or 0) > #commits then
    b.add({ { string.format('      ... and %d more', item.ahead - #commits), 'AgentlsHelp' } }, { kind = 'session', name = name })
  end
  local files = type(item.files) == 'table' and item.files or {}
  b.add({ { string.format('    files (%s)', text.stat(item.stat)), 'AgentlsHelp' } }, { kind = 'session', name = name })
  local width = 4
  for _, file in ipairs(files) do
    width = math.max(width, vim.fn.strdisplaywidth(text.file_name(file)))
  end
  local function file_row(file, entry)
    local counts = file.binary == true and { { 'binary', 'AgentlsHelp' } }
      or { { '+' .. tostring(file.insertions or 0), 'AgentlsInsertions' }, { ' ' }, { '-' .. tostring(file.deletions or 0), 'AgentlsDeletions' } }
    local segments = { { '      ' }, { pad(tostring(file.status or '?'), 3), 'AgentlsFileStatus' }, { pad(text.file_name(file), width), 'AgentlsPath' }, { '  ' } }
    vim.list_extend(segments, counts)
    if file.uncommitted == true then
      table.insert(segments, { '  uncommitted', 'AgentlsUncommitted' })
    end
    b.add(segments, entry)
  end
  for index, file in ipairs(files) do
    file_row(file, { kind = 'file', name = name, index = index, path = file.path })
  end
  local since = type(item.sinceReview) == 'table' and item.sinceReview or nil
  if since and since.available ~= false then
    local since_files = type(since.files) == 'table' and since.files or {}
    local how = since.rewritten == true and 'rewritten (rebased)' or text.plural(type(since.commits) == 'table' and #since.commits or 0, 'new commit')
    b.add({ { string.format('    since review (%s): %s, %s', text.short(since.from), how, text.stat(since.stat)), 'AgentlsChangedSinceReview' } }, { kind = 'session', name = name })
    for index, file in ipairs(since_files) do
      file_row(file, { kind = 'since', name = name, index = index, path = file.path })
    end
  end
end

--- The buffer's lines, highlights and line entries (exposed for tests).
function M.build(view)
  local b = render.builder()
  header(b, view)
  if not view.queue then
    b.add({})
    b.add({ { view.error and ('could not read the review queue: ' .. view.error) or 'reading the review queue...', view.error and 'AgentlsWarning' or 'AgentlsHelp' } })
    return b
  end
  queue_rows(b, view)
  for _, summary in ipairs(type(view.queue.items) == 'table' and view.queue.items or {}) do
    section(b, view, summary)
  end
  return b
end

local function entry_key(entry)
  return table.concat({ entry.kind, entry.name or '', tostring(entry.index or entry.commit or entry.path or ''), entry.header and 'h' or '' }, '\0')
end

--- Redraws a review buffer from what it holds, keeping the cursor on its entry.
function M.render(bufnr)
  local view = views[bufnr]
  if not view or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local b = M.build(view)
  local focus = view.focus
  view.focus = nil
  render.draw(bufnr, NS, b, view.lines, entry_key, focus)
  view.lines = b.items
end

--- Reads the queue, then every queued session's item, and redraws once all are in.
--- `done()` after that redraw.
function M.refresh(bufnr, done)
  local view = views[bufnr]
  local client = view and vim.lsp.get_client_by_id(view.client_id)
  if not client then
    return
  end
  if client.initialized and client.server_capabilities and not client_mod.advertised(client, 'agentls.review.queue') then
    view.error = 'this agentls server has no review commands (it predates the review sweep): update agentls, then :AgentLS restart'
    M.render(bufnr)
    return done and done()
  end
  view.generation = view.generation + 1
  local generation = view.generation
  local function current()
    return views[bufnr] == view and view.generation == generation
  end
  view.reading = generation
  -- A newer refresh (entering the buffer, a notification) supersedes this one:
  -- what waits for this one then runs when that one is done, never dropped.
  view.waiting = view.waiting or {}
  if done then
    table.insert(view.waiting, done)
  end
  done = function()
    if view.reading == generation then
      view.reading = nil
    end
    local waiting = view.waiting
    view.waiting = {}
    for _, callback in ipairs(waiting) do
      callback()
    end
  end
  local order = { newestFirst = newest_first() }
  client_mod.execute(client, 'agentls.review.queue', order, function(err, queue)
    if not current() then
      return
    end
    if err or type(queue) ~= 'table' or queue.ok == false then
      view.error = (ui.describe_error(err or queue))
      M.render(bufnr)
      return done()
    end
    view.error = nil
    local first = view.queue == nil
    view.queue = queue
    local items = type(queue.items) == 'table' and queue.items or {}
    if first or #items == 0 then
      M.render(bufnr) -- the queue at once; the details follow
    end
    local fresh, errors, waiting = {}, {}, #items
    if waiting == 0 then
      view.items, view.errors = fresh, errors
      M.render(bufnr)
      return done()
    end
    for _, summary in ipairs(items) do
      local argument = { session = summary.session, newestFirst = order.newestFirst }
      client_mod.execute(client, 'agentls.review.item', argument, function(item_err, answer)
        if not current() then
          return
        end
        if item_err or type(answer) ~= 'table' or type(answer.item) ~= 'table' then
          errors[summary.session] = (ui.describe_error(item_err or answer))
        else
          fresh[summary.session] = answer.item
        end
        waiting = waiting - 1
        if waiting == 0 then
          view.items, view.errors = fresh, errors
          M.render(bufnr)
          done()
        end
      end)
    end
  end)
end

local pending_refresh = {}

--- A refresh soon: several triggers in a burst make one.
function M.schedule_refresh(bufnr)
  if pending_refresh[bufnr] then
    return
  end
  pending_refresh[bufnr] = true
  vim.defer_fn(function()
    pending_refresh[bufnr] = nil
    if views[bufnr] then
      M.refresh(bufnr)
    end
  end, 100)
end

--- After agentls/reviewChanged or agentls/sessionsChanged.
local function on_change()
  for bufnr in pairs(views) do
    if not vim.api.nvim_buf_is_valid(bufnr) then
      views[bufnr] = nil
    else
      M.schedule_refresh(bufnr)
    end
  end
end

local function map_keys(bufnr)
  render.map_plug_keys(bufnr, 'review_mappings', vim.tbl_keys(config.defaults.review_mappings), 'agentls-review')
end

local function buffer_name(client)
  return render.repository_buffer_name(client, 'review')
end

--- The line of a session's section header, or nil.
local function header_line(bufnr, name)
  local view = views[bufnr]
  for line = 1, vim.api.nvim_buf_line_count(bufnr) do
    local entry = view.lines[line]
    if entry and entry.header and entry.name == name then
      return line
    end
  end
  return nil
end

--- Opens (or shows again) the review buffer of a client's repository in a tab
--- of its own; with `name`, the cursor goes to that session. Returns the buffer.
function M.open(client, name)
  highlights.setup()
  local bufname = buffer_name(client)
  local bufnr = vim.fn.bufnr(bufname)
  local fresh = bufnr == -1 or not views[bufnr]
  if fresh then
    if bufnr == -1 then
      bufnr = vim.api.nvim_create_buf(false, true)
      vim.api.nvim_buf_set_name(bufnr, bufname)
    end
    vim.bo[bufnr].buftype = 'nofile'
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
    vim.bo[bufnr].filetype = 'agentlsreview'
    views[bufnr] = { client_id = client.id, lines = {}, items = {}, errors = {}, collapsed = {}, help = false, generation = 0 }
    map_keys(bufnr)
    local group = vim.api.nvim_create_augroup('agentls-review', { clear = false })
    vim.api.nvim_create_autocmd('BufWipeout', {
      group = group,
      buffer = bufnr,
      callback = function()
        views[bufnr] = nil
      end,
    })
    -- Coming back to it reads the queue again: a session's diff may have grown
    -- without any notification (only verdicts and heads send one).
    vim.api.nvim_create_autocmd('BufEnter', {
      group = group,
      buffer = bufnr,
      callback = function()
        if views[bufnr] and views[bufnr].queue then
          M.schedule_refresh(bufnr)
        end
      end,
      desc = 'agentls: refresh the review buffer when entering it',
    })
    if not M.listening then
      M.listening = true
      vim.api.nvim_create_autocmd('User', {
        group = group,
        pattern = { 'AgentlsReviewChanged', 'AgentlsSessionsChanged' },
        callback = on_change,
        desc = 'agentls: refresh the review buffer',
      })
    end
  end
  views[bufnr].client_id = client.id
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.cmd('tabnew')
    local placeholder = vim.api.nvim_get_current_buf()
    vim.api.nvim_win_set_buf(0, bufnr)
    if placeholder ~= bufnr and vim.api.nvim_buf_get_name(placeholder) == '' and not vim.bo[placeholder].modified then
      pcall(vim.api.nvim_buf_delete, placeholder, {})
    end
  else
    vim.api.nvim_set_current_win(win)
  end
  render.list_window()
  local sessions = require('agentls.sessions').get(client.id)
  if not sessions or not sessions.report then
    actions.load({ client = client }) -- the server answers review commands once it reported
  end
  M.render(bufnr)
  M.refresh(bufnr, function()
    if not views[bufnr] then
      return
    end
    local line = present(name) and header_line(bufnr, name) or nil
    if not line and fresh and not views[bufnr].moved then
      -- The first session of the queue rather than the header.
      for l = 1, vim.api.nvim_buf_line_count(bufnr) do
        local entry = views[bufnr] and views[bufnr].lines[l]
        if entry and entry.kind == 'queue' then
          line = l
          break
        end
      end
    end
    local shown = vim.fn.bufwinid(bufnr)
    if line and shown ~= -1 then
      pcall(vim.api.nvim_win_set_cursor, shown, { line, 0 })
    end
  end)
  return bufnr
end

--- The client of a review buffer, or nil for other buffers.
function M.client_for(bufnr)
  local view = views[bufnr]
  return view and vim.lsp.get_client_by_id(view.client_id) or nil
end

--- The entry under the cursor (or at `line`) of a review buffer: { kind, name, ... }.
function M.entry(bufnr, line)
  local view = views[bufnr]
  return view and view.lines[line or vim.api.nvim_win_get_cursor(0)[1]] or nil
end

--- Whether a review buffer has nothing to read pending (tests: a change seen
--- after this came through a notification, not a refresh already on its way).
function M.idle(bufnr)
  local view = views[bufnr]
  return view ~= nil and not pending_refresh[bufnr] and view.reading == nil
end

--- What a review buffer holds (tests): { queue, items, errors }.
function M.view(bufnr)
  return views[bufnr]
end

--- The review item of a session as the buffer last read it, else its queue row.
function M.item(bufnr, name)
  local view = views[bufnr]
  if not view then
    return nil
  end
  if view.items[name] then
    return view.items[name]
  end
  for _, summary in ipairs(view.queue and view.queue.items or {}) do
    if summary.session == name then
      return summary
    end
  end
  return nil
end

-- --- acting ---------------------------------------------------------------------------------

--- Moves the cursor to the next (1) or previous (-1) line whose entry passes `wanted`.
local function move(bufnr, step, wanted)
  local view = views[bufnr]
  local line = vim.api.nvim_win_get_cursor(0)[1]
  local probe = line + step
  while probe >= 1 and probe <= vim.api.nvim_buf_line_count(bufnr) do
    local entry = view.lines[probe]
    if entry and wanted(entry, view.lines[line]) then
      view.moved = true
      vim.api.nvim_win_set_cursor(0, { probe, 0 })
      return true
    end
    probe = probe + step
  end
  return false
end

--- The name of the session after `name` in the queue (the sweep goes on there).
local function next_in_queue(view, name)
  local items = view.queue and view.queue.items or {}
  for index, summary in ipairs(items) do
    if summary.session == name then
      return items[index + 1] and items[index + 1].session or nil
    end
  end
  return nil
end

--- After a verdict: redraw, with the cursor on the next session's section.
local function advance(bufnr, name)
  local view = views[bufnr]
  if not view then
    return
  end
  local following = next_in_queue(view, name)
  if following then
    view.focus = entry_key({ kind = 'session', name = following, header = true })
    view.moved = true
  end
  M.refresh(bufnr)
end

--- The diff spec of a session's item: its files, base to current; or with
--- `since`, what changed since the reviewed head.
function M.diff_spec(item, since)
  local spec = {
    session = item.session,
    path = item.path,
    files = item.files or {},
    base = item.base,
    base_label = 'base',
    snapshot = item.snapshot,
    head = item.head,
    item = item,
  }
  if since and type(item.sinceReview) == 'table' then
    spec.files = item.sinceReview.files or {}
    spec.base = item.sinceReview.from
    spec.base_label = 'reviewed'
  end
  return spec
end

--- Opens the diff tab of the entry's session at its file. The item is read
--- again first, so the tab shows the session as it is now (an agent may have
--- written since the buffer was drawn); the file is found again by its path.
local function open_diff(ctx, bufnr, entry, since)
  local shown = views[bufnr].items[entry.name]
  if not shown then
    return ui.notify(string.format('the review of %s is still loading', entry.name), vim.log.levels.WARN)
  end
  local old_spec = M.diff_spec(shown, since)
  local wanted = entry.index and old_spec.files[entry.index] and old_spec.files[entry.index].path
  local argument = { session = entry.name, newestFirst = newest_first() }
  client_mod.execute(ctx.client, 'agentls.review.item', argument, function(err, answer)
    if err or type(answer) ~= 'table' or type(answer.item) ~= 'table' then
      return actions.fail(err or answer)
    end
    if views[bufnr] then
      views[bufnr].items[entry.name] = answer.item
    end
    local spec = M.diff_spec(answer.item, since)
    local index = 1
    for i, file in ipairs(spec.files) do
      if file.path == wanted then
        index = i
      end
    end
    require('agentls.review.diff').open(ctx.client, spec, index)
  end)
end

local function show_commit(bufnr, entry)
  local item = M.item(bufnr, entry.name)
  local lines = require('agentls.git').run({ 'show', '--stat', '--patch', '--no-color', tostring(entry.commit) }, item and item.path)
  if not lines then
    return ui.notify(string.format('git show %s failed', text.short(entry.commit)), vim.log.levels.WARN)
  end
  ui.scratch(string.format('review/%s/%s', entry.name, text.short(entry.commit)), lines, 'git')
  vim.api.nvim_buf_set_keymap(0, 'n', 'q', '<Cmd>close<CR>', { nowait = true, silent = true })
end

local function open_note(bufnr, entry)
  local item = M.item(bufnr, entry.name)
  if not item or not present(item.path) then
    return
  end
  vim.cmd('botright split ' .. vim.fn.fnameescape(item.path .. '/' .. entry.path))
end

--- The target of a verb: the session under the cursor and the head shown for it.
local function target_of(bufnr, entry)
  local item = M.item(bufnr, entry.name)
  local queue = views[bufnr].queue or {}
  if item and item.requireReview == nil then
    item = vim.tbl_extend('keep', { requireReview = queue.requireReview, trunk = queue.trunk }, item)
  end
  return { session = entry.name, head = item and item.head or nil, item = item }
end

-- action -> function(ctx, entry, bufnr)
local in_view = {
  toggle = function(_, entry, bufnr)
    views[bufnr].collapsed[entry.name] = not views[bufnr].collapsed[entry.name] or nil
    M.render(bufnr)
  end,
  open_item = function(ctx, entry, bufnr, run)
    if entry.kind == 'file' then
      return open_diff(ctx, bufnr, entry, false)
    end
    if entry.kind == 'since' then
      return open_diff(ctx, bufnr, entry, true)
    end
    if entry.kind == 'commit' then
      return show_commit(bufnr, entry)
    end
    if entry.kind == 'note' then
      return open_note(bufnr, entry)
    end
    if entry.kind == 'collision' then
      -- The colliding file's diff, when this session changed it.
      local item = views[bufnr].items[entry.name] or {}
      for index, file in ipairs(type(item.files) == 'table' and item.files or {}) do
        if file.path == entry.path then
          return open_diff(ctx, bufnr, { name = entry.name, index = index }, false)
        end
      end
    end
    if entry.kind == 'queue' then
      local line = header_line(bufnr, entry.name)
      if line then
        views[bufnr].collapsed[entry.name] = nil
        M.render(bufnr)
        views[bufnr].moved = true
        return vim.api.nvim_win_set_cursor(0, { header_line(bufnr, entry.name), 0 })
      end
    end
    run('toggle')
  end,
  diff = function(ctx, entry, bufnr)
    open_diff(ctx, bufnr, { name = entry.name, index = entry.kind == 'file' and entry.index or 1 }, entry.kind == 'since')
  end,
  approve = function(ctx, entry, bufnr)
    require('agentls.review.verbs').approve(ctx, target_of(bufnr, entry), function()
      advance(bufnr, entry.name)
    end)
  end,
  approve_land = function(ctx, entry, bufnr)
    require('agentls.review.verbs').approve_land(ctx, target_of(bufnr, entry), function()
      M.refresh(bufnr)
    end)
  end,
  request_changes = function(ctx, entry, bufnr)
    require('agentls.review.verbs').request_changes(ctx, target_of(bufnr, entry), function()
      advance(bufnr, entry.name)
    end)
  end,
  skip = function(ctx, entry, bufnr)
    require('agentls.review.verbs').skip(ctx, target_of(bufnr, entry), function()
      advance(bufnr, entry.name)
    end)
  end,
  remove = function(ctx, entry)
    require('agentls.review.verbs').remove(ctx, { session = entry.name })
  end,
  run_checks = function(ctx, entry, bufnr)
    require('agentls.review.verbs').run_checks(ctx, target_of(bufnr, entry), function()
      M.refresh(bufnr)
    end)
  end,
}

-- Actions that need no session under the cursor.
local anywhere = {
  next_session = function(_, bufnr)
    move(bufnr, 1, function(entry)
      return entry.header == true
    end)
  end,
  previous_session = function(_, bufnr)
    -- From inside a section: its own header first, then the one before.
    move(bufnr, -1, function(entry)
      return entry.header == true
    end)
  end,
  next_file = function(_, bufnr)
    move(bufnr, 1, function(entry)
      return entry.kind == 'file' or entry.kind == 'since'
    end)
  end,
  previous_file = function(_, bufnr)
    move(bufnr, -1, function(entry)
      return entry.kind == 'file' or entry.kind == 'since'
    end)
  end,
  refresh = function(ctx, bufnr)
    client_mod.execute(ctx.client, 'agentls.refresh', {}, function(err, answer)
      if err then
        return actions.fail(err)
      end
      if type(answer) == 'table' and type(answer.report) == 'table' then
        require('agentls.sessions').update_from_report(ctx.client.id, answer)
      end
      M.refresh(bufnr)
    end)
  end,
  help = function(_, bufnr)
    views[bufnr].help = not views[bufnr].help
    M.render(bufnr)
  end,
  close = function()
    if #vim.api.nvim_list_tabpages() > 1 then
      vim.cmd('tabclose')
    elseif #vim.api.nvim_list_wins() > 1 then
      vim.cmd('close')
    else
      vim.cmd('enew')
    end
  end,
}

--- Runs a review action in review buffer `bufnr`; false when it is not one.
function M.act(bufnr, action)
  local view = views[bufnr]
  if not view then
    return false
  end
  local client = vim.lsp.get_client_by_id(view.client_id)
  if not client then
    ui.notify('the agentls server of this review stopped (:AgentLS restart)', vim.log.levels.WARN)
    return true
  end
  local ctx = { client = client, bufnr = bufnr }
  if anywhere[action] then
    anywhere[action](ctx, bufnr)
    return true
  end
  local handler = in_view[action]
  if not handler then
    return true
  end
  local entry = M.entry(bufnr)
  if not entry or not entry.name then
    ui.notify('put the cursor on a session of the queue', vim.log.levels.WARN)
    return true
  end
  local function run(other)
    in_view[other](ctx, entry, bufnr, run)
  end
  handler(ctx, entry, bufnr, run)
  return true
end

return M
