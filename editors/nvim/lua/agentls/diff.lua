-- Native diffs: another session's version of a file (a read-only scratch buffer
-- from `agentls.fileVersion`) beside this session's file, with :diffthis, in a
-- tab of their own. `q` in the scratch buffer closes the tab.
local M = {}

local client_mod = require('agentls.client')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

local FILE_VERSION = 'agentls.fileVersion'

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

local function filetype_of(path)
  local ok, found = pcall(vim.filetype.match, { filename = path })
  if ok and found then
    return found
  end
  ok, found = pcall(vim.filetype.match, path) -- 0.7's signature
  return ok and found or nil
end

--- A file's text as lines (its last newline ends the last line, not a new one).
function M.split_text(text)
  local lines = vim.split(text, '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  return lines
end

--- A read-only scratch buffer named NAME holding LINES, with PATH's filetype
--- (a buffer of that name is replaced).
function M.readonly_buffer(name, lines, path)
  local old = vim.fn.bufnr(name)
  if old ~= -1 then
    vim.api.nvim_buf_delete(old, { force = true })
  end
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(bufnr, name)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].buftype = 'nofile'
  vim.bo[bufnr].bufhidden = 'wipe'
  vim.bo[bufnr].swapfile = false
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].readonly = true
  local filetype = filetype_of(path)
  if filetype then
    vim.bo[bufnr].filetype = filetype
  end
  return bufnr
end

--- A read-only scratch buffer holding `text`, named `name`; q closes the tab.
local function scratch(name, text, path)
  local bufnr = M.readonly_buffer(name, M.split_text(text), path)
  vim.api.nvim_buf_set_keymap(bufnr, 'n', 'q', '<Cmd>tabclose<CR>', { nowait = true, silent = true })
  return bufnr
end

--- The other session's text of `path`: from the server (unsaved buffers included)
--- when it offers agentls.fileVersion, else read from its worktree on disk.
local function from_disk(client, other, path, callback)
  local info = sessions.find(client.id, other)
  if not info or not present(info.path) then
    return callback(nil, string.format('no session %s', other))
  end
  local file = info.path .. '/' .. path
  local lines = vim.fn.filereadable(file) == 1 and vim.fn.readfile(file, 'b') or {}
  callback(table.concat(lines, '\n'), nil, string.format('%s: %s', other, path))
end

local function other_text(client, other, path, callback)
  if client_mod.advertised(client, FILE_VERSION) then
    return client_mod.execute(client, FILE_VERSION, { session = other, path = path, at = 'current' }, function(err, result)
      if err then
        -- A server that advertises it but cannot answer yet: the file on disk.
        return from_disk(client, other, path, callback)
      end
      result = type(result) == 'table' and result or {}
      if result.binary then
        return callback(nil, string.format('%s is binary in %s: no text diff', path, other))
      end
      callback(present(result.text) and result.text or '', nil, result.label)
    end)
  end
  from_disk(client, other, path, callback)
end

--- Opens a tab diffing `other`'s version of `path` (left, read-only) against
--- `session`'s file (right, the real file: edit it, `do`/`dp` move hunks).
--- `line` puts the cursor there. Calls `done(tabnr)` once it is open.
function M.open(client, session, other, path, line, done)
  local mine = sessions.find(client.id, session)
  if not mine or not present(mine.path) then
    return ui.notify(string.format('no session %s to compare', tostring(session)), vim.log.levels.WARN)
  end
  other_text(client, other, path, function(text, err, label)
    if not text then
      return ui.notify(err, vim.log.levels.WARN)
    end
    vim.cmd('tabnew')
    local left = scratch(string.format('agentls://%s/%s', other, path), text, path)
    vim.api.nvim_win_set_buf(0, left)
    vim.cmd('diffthis')
    vim.cmd('rightbelow vsplit ' .. vim.fn.fnameescape(mine.path .. '/' .. path))
    vim.cmd('diffthis')
    vim.t.agentls_compare = label or string.format('%s vs %s: %s', other, session, path)
    pcall(vim.api.nvim_win_set_cursor, 0, { line or 1, 0 })
    pcall(vim.cmd, 'normal! zz')
    ui.notify(string.format("comparing %s's %s (left) with %s's (right); q in the left window closes", other, path, session))
    if done then
      done(vim.api.nvim_get_current_tabpage())
    end
  end)
end

return M
