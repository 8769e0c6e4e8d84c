-- A session's changes as native diffs, one tab per session (diffview.nvim is the
-- model): the left window holds the file at the session's base (the merge-base
-- with trunk, what the change set is measured from; or the head last reviewed),
-- the right window the worktree's current version, both read-only scratch
-- buffers with :diffthis. `]f` / `[f` walk the session's files in the same tab;
-- `q` closes it and goes back to where it was opened from.
--
-- Texts come from `agentls.fileVersion` (the server's view: unsaved buffers of
-- every editor included) when the server offers it; otherwise from git: `git
-- show <base>:<path>` on the left, the item's snapshot (a commit of the current
-- state, unsaved buffers the engine holds included) or the file on disk on the right.
local M = {}

local client_mod = require('agentls.client')
local text = require('agentls.review.text')
local ui = require('agentls.ui')

local present = text.present
local FILE_VERSION = 'agentls.fileVersion'

-- tabpage handle -> { client_id, spec, index, left, right, from, generation }
local tabs = {}

local split_text = require('agentls.diff').split_text

--- One side of a file: { lines, label, note } where `note` says why there is no
--- text (binary, absent).
local function side(lines, label, note)
  return { lines = lines or {}, label = label, note = note }
end

-- --- reading the two versions -----------------------------------------------------------

--- A file at a commit, read with git from the session's worktree: lines, or nil
--- when the commit has no such file.
local function git_show(cwd, commit, path)
  local lines = vim.fn.systemlist({ 'git', '-C', cwd, 'show', commit .. ':' .. path })
  if vim.v.shell_error ~= 0 then
    return nil
  end
  return lines
end

local function from_git(spec, file, at, callback)
  local label = string.format('%s: %s', spec.session, file.path)
  if at == 'current' then
    if present(spec.snapshot) then
      local lines = git_show(spec.path, spec.snapshot, file.path)
      if lines then
        return callback(side(lines, label .. ' (current)'))
      end
    end
    local full = spec.path .. '/' .. file.path
    if vim.fn.filereadable(full) == 1 then
      return callback(side(vim.fn.readfile(full), label .. ' (current, on disk)'))
    end
    return callback(side({}, label .. ' (deleted)', 'deleted'))
  end
  local path = present(file.oldPath) and file.oldPath or file.path
  local lines = git_show(spec.path, at, path)
  local where = string.format('%s: %s @ %s %s', spec.session, path, spec.base_label, text.short(at))
  if not lines then
    return callback(side({}, where .. ' (not there)', 'absent'))
  end
  callback(side(lines, where))
end

local function from_server(client, spec, file, at, callback)
  local current = at == 'current'
  local path = (not current and present(file.oldPath)) and file.oldPath or file.path
  local argument = { session = spec.session, path = path, at = at }
  client_mod.execute(client, FILE_VERSION, argument, function(err, result)
    if err or type(result) ~= 'table' then
      return from_git(spec, file, at, callback) -- a server that cannot answer it yet
    end
    local label = string.format('%s: %s @ %s %s', spec.session, path, spec.base_label, text.short(at))
    if current then
      -- The server's label says "(unsaved)" when an editor holds unsaved text.
      label = present(result.label) and tostring(result.label) or string.format('%s: %s', spec.session, path)
      if not label:find('(unsaved)', 1, true) then
        label = label .. ' (current)'
      end
    end
    if result.binary == true then
      return callback(side({}, label, 'binary: no text diff'))
    end
    if not present(result.text) and result.text ~= '' then
      return callback(side({}, label .. (current and ' (deleted)' or ' (not there)'), current and 'deleted' or 'absent'))
    end
    callback(side(split_text(result.text or ''), label))
  end)
end

--- Both versions of `file`: callback(left, right).
local function read_both(client, spec, file, callback)
  local left, right
  local function maybe_done()
    if left and right then
      callback(left, right)
    end
  end
  if file.binary == true then
    local note = string.format('%s is binary: no text diff', file.path)
    return callback(side({}, spec.session .. ': ' .. file.path, note), side({}, spec.session .. ': ' .. file.path, note))
  end
  local read = client_mod.advertised(client, FILE_VERSION) and from_server or function(_, ...)
    return from_git(...)
  end
  read(client, spec, file, spec.base, function(result)
    left = result
    maybe_done()
  end)
  read(client, spec, file, 'current', function(result)
    right = result
    maybe_done()
  end)
end

-- --- the tab ---------------------------------------------------------------------------------

local function scratch(name, version, path)
  return require('agentls.diff').readonly_buffer(name, version.lines, path)
end

-- Keys of the diff tab's buffers (read-only scratch buffers, so plain keys are safe).
local TAB_KEYS = { 'next_file', 'previous_file', 'approve', 'approve_land', 'request_changes', 'skip', 'run_checks', 'close' }

local function map_keys(bufnr)
  require('agentls.render').map_plug_keys(bufnr, 'review_mappings', TAB_KEYS, 'agentls-review')
end

local function statusline(label, extra)
  return ((' ' .. label .. (extra and ('  ' .. extra) or '')):gsub('%%', '%%%%'))
end

local function valid_win(win)
  return win and vim.api.nvim_win_is_valid(win)
end

--- Draws file number `index` of the tab's spec into its two windows.
local function draw(tab, state, index, left, right)
  local file = state.spec.files[index]
  local spec = state.spec
  if not valid_win(state.left) or not valid_win(state.right) then
    return
  end
  for _, win in ipairs({ state.left, state.right }) do
    vim.api.nvim_win_call(win, function()
      vim.cmd('diffoff')
    end)
  end
  local prefix = string.format('agentls://review/%s/', spec.session)
  local left_path = present(file.oldPath) and file.oldPath or file.path
  local left_buf = scratch(prefix .. spec.base_label .. '/' .. left_path, left, left_path)
  local right_buf = scratch(prefix .. 'current/' .. file.path, right, file.path)
  map_keys(left_buf)
  map_keys(right_buf)
  vim.api.nvim_win_set_buf(state.left, left_buf)
  vim.api.nvim_win_set_buf(state.right, right_buf)
  local position = string.format('file %d/%d', index, #spec.files)
  vim.wo[state.left].statusline = statusline(left.label, left.note)
  vim.wo[state.right].statusline = statusline(right.label, (right.note and (right.note .. '  ') or '') .. position)
  for _, win in ipairs({ state.left, state.right }) do
    vim.api.nvim_win_call(win, function()
      vim.cmd('diffthis')
      vim.wo.foldcolumn = '0'
    end)
  end
  state.index = index
  vim.api.nvim_tabpage_set_var(tab, 'agentls_review', { session = spec.session, path = file.path, index = index, files = #spec.files })
  if vim.api.nvim_get_current_tabpage() == tab then
    vim.api.nvim_set_current_win(state.right)
    pcall(vim.api.nvim_win_set_cursor, state.right, { 1, 0 })
    if vim.fn.diff_hlID(1, 1) == 0 then
      pcall(vim.cmd, 'normal! ]c') -- the first change
    end
  end
end

--- Shows file number `index` of the tab's session; `done()` once drawn.
local function show(tab, index, done)
  local state = tabs[tab]
  local client = state and vim.lsp.get_client_by_id(state.client_id)
  if not client then
    return ui.notify('the agentls server of this review stopped (:AgentLS restart)', vim.log.levels.WARN)
  end
  local file = state.spec.files[index]
  if not file then
    return
  end
  state.generation = state.generation + 1
  local generation = state.generation
  read_both(client, state.spec, file, function(left, right)
    -- Another file was asked for meanwhile, or the tab was closed: drop this one.
    if tabs[tab] ~= state or state.generation ~= generation or not vim.api.nvim_tabpage_is_valid(tab) then
      return
    end
    draw(tab, state, index, left, right)
    if done then
      done(tab)
    end
  end)
end

local function tab_of(session, base_label)
  for tab, state in pairs(tabs) do
    if not vim.api.nvim_tabpage_is_valid(tab) then
      tabs[tab] = nil
    elseif state.spec.session == session and state.spec.base_label == base_label then
      return tab, state
    end
  end
  return nil
end

--- Opens (or reuses) the diff tab of a session at file `index` (default 1).
--- `spec` = { session, path (its worktree), files (the item's `files`), base
--- (a commit), base_label ("base" or "reviewed"),
--- snapshot, head, item }. Calls
--- `done(tabpage)` once the first file is drawn.
function M.open(client, spec, index, done)
  if type(spec.files) ~= 'table' or #spec.files == 0 then
    return ui.notify(string.format('%s has no changed files to show', spec.session), vim.log.levels.WARN)
  end
  index = math.max(1, math.min(index or 1, #spec.files))
  local from = vim.api.nvim_get_current_tabpage()
  local tab, state = tab_of(spec.session, spec.base_label)
  if tab then
    state.spec = spec
    state.client_id = client.id
    vim.api.nvim_set_current_tabpage(tab)
  else
    vim.cmd('tabnew')
    tab = vim.api.nvim_get_current_tabpage()
    local left = vim.api.nvim_get_current_win()
    vim.cmd('rightbelow vsplit')
    vim.cmd('wincmd =')
    local right = vim.api.nvim_get_current_win()
    state = { client_id = client.id, spec = spec, index = index, left = left, right = right, from = from, generation = 0 }
    tabs[tab] = state
    -- The placeholder buffer of :tabnew goes when the first file is drawn.
    local placeholder = vim.api.nvim_win_get_buf(left)
    vim.bo[placeholder].bufhidden = 'wipe'
  end
  show(tab, index, done)
end

--- The review diff tab `tab` (default: the current one) as { session, spec,
--- index }, or nil when it is not one.
function M.current(tab)
  tab = tab or vim.api.nvim_get_current_tabpage()
  local state = tabs[tab]
  if not state then
    return nil
  end
  return { session = state.spec.session, spec = state.spec, index = state.index, client_id = state.client_id }
end

--- The next (step 1) or previous (-1) file in the current review tab.
function M.step(step)
  local tab = vim.api.nvim_get_current_tabpage()
  local state = tabs[tab]
  if not state then
    return false
  end
  local index = state.index + step
  if index < 1 or index > #state.spec.files then
    ui.notify(string.format('%s file of %s', step > 0 and 'last' or 'first', state.spec.session))
    return true
  end
  show(tab, index)
  return true
end

--- Closes the current review tab and goes back to the tab it was opened from.
function M.close()
  local tab = vim.api.nvim_get_current_tabpage()
  local state = tabs[tab]
  if not state then
    return false
  end
  tabs[tab] = nil
  if #vim.api.nvim_list_tabpages() > 1 then
    vim.cmd('tabclose')
  else
    vim.cmd('enew')
  end
  if state.from and vim.api.nvim_tabpage_is_valid(state.from) then
    vim.api.nvim_set_current_tabpage(state.from)
  end
  return true
end

return M
