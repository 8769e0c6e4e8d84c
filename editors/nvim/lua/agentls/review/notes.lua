-- The reviewer's notes for "request changes": a scratch buffer to type them in
-- (a commit-message buffer, as fugitive and neogit have). `:w` (also `:wq`, `:x`)
-- or <C-c><C-c> sends them; closing it without writing cancels, and the draft
-- comes back the next time. A refused request leaves the notes in their buffer.
local M = {}

local ui = require('agentls.ui')

local MAX_CHARACTERS = 4096 -- the server's limit for a string argument

-- session -> { bufnr, sending } of the open notes buffer
local open = {}
-- session -> the text of notes closed without sending
local drafts = {}

local function buffer_name(session)
  return string.format('agentls://review/%s/request-changes', session)
end

--- The notes as typed: the buffer's text without trailing blank lines.
local function notes_of(bufnr)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  while #lines > 0 and vim.trim(lines[#lines]) == '' do
    table.remove(lines)
  end
  return table.concat(lines, '\n')
end

local function show(bufnr, session)
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 then
    return vim.api.nvim_set_current_win(win)
  end
  vim.cmd('botright split')
  vim.api.nvim_win_set_buf(0, bufnr)
  vim.api.nvim_win_set_height(0, math.max(8, math.floor(vim.o.lines / 4)))
  vim.wo.statusline = string.format('Request changes from %s: type the notes, :w sends them, :q cancels', session):gsub('%%', '%%%%')
  vim.wo.wrap = true
  vim.wo.linebreak = true
end

local function close(bufnr)
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_delete(bufnr, { force = true })
  end
end

local function submit(session, send)
  local entry = open[session]
  if not entry or entry.sending or not vim.api.nvim_buf_is_valid(entry.bufnr) then
    return
  end
  local bufnr = entry.bufnr
  local notes = notes_of(bufnr)
  if vim.trim(notes) == '' then
    return ui.notify('the notes are empty: type what the agent should change (or :q to cancel)', vim.log.levels.WARN)
  end
  local length = vim.fn.strchars(notes)
  if length > MAX_CHARACTERS then
    return ui.notify(string.format('the notes are %d characters; the server takes up to %d: shorten them', length, MAX_CHARACTERS), vim.log.levels.WARN)
  end
  entry.sending = true
  vim.bo[bufnr].modified = false
  send(notes, function(ok)
    if ok then
      open[session] = nil
      drafts[session] = nil
      return close(bufnr)
    end
    -- Refused: keep the notes where they were typed (shown again if :wq closed them).
    entry.sending = false
    if vim.api.nvim_buf_is_valid(bufnr) then
      vim.bo[bufnr].modified = true
      show(bufnr, session)
    end
  end)
end

local function cancel(session, bufnr)
  local entry = open[session]
  if not entry or entry.bufnr ~= bufnr or entry.sending then
    return
  end
  open[session] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    local notes = notes_of(bufnr)
    drafts[session] = vim.trim(notes) ~= '' and notes or nil
  end
  ui.notify(string.format('request changes from %s cancelled: nothing sent%s', session, drafts[session] and ' (the draft comes back next time)' or ''))
  vim.schedule(function()
    close(bufnr)
  end)
end

--- Opens (or shows again) the notes buffer for SESSION; `send(notes, sent)` is
--- called when they are written, and calls `sent(true)` once the server took them.
function M.open(session, send)
  local entry = open[session]
  if entry and vim.api.nvim_buf_is_valid(entry.bufnr) then
    entry.send = send
    return show(entry.bufnr, session)
  end
  local name = buffer_name(session)
  local stale = vim.fn.bufnr(name)
  if stale ~= -1 then
    vim.api.nvim_buf_delete(stale, { force = true })
  end
  local bufnr = vim.api.nvim_create_buf(false, false)
  vim.api.nvim_buf_set_name(bufnr, name)
  vim.bo[bufnr].buftype = 'acwrite'
  vim.bo[bufnr].bufhidden = 'hide'
  vim.bo[bufnr].swapfile = false
  vim.bo[bufnr].filetype = 'markdown'
  if drafts[session] then
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(drafts[session], '\n', { plain = true }))
  end
  vim.bo[bufnr].modified = false
  entry = { bufnr = bufnr, sending = false, send = send }
  open[session] = entry
  local function go()
    submit(session, entry.send)
  end
  local group = vim.api.nvim_create_augroup('agentls-review-notes-' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd('BufWriteCmd', { group = group, buffer = bufnr, callback = go, desc = 'agentls: send the review notes' })
  -- Closing the window (or wiping the buffer) without writing cancels.
  vim.api.nvim_create_autocmd({ 'BufHidden', 'BufWipeout' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      cancel(session, bufnr)
    end,
    desc = 'agentls: cancel the review notes',
  })
  for _, mode in ipairs({ 'n', 'i' }) do
    vim.api.nvim_buf_set_keymap(bufnr, mode, '<C-c><C-c>', '', { callback = go, nowait = true, silent = true, desc = 'agentls: send the review notes' })
  end
  show(bufnr, session)
  ui.notify(string.format('notes for %s: :w (or <C-c><C-c>) sends them into its HANDOFF.md, :q cancels', session))
  return bufnr
end

--- The notes buffer of a session, or nil (tests).
function M.buffer(session)
  local entry = open[session]
  return entry and entry.bufnr or nil
end

return M
