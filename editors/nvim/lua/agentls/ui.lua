-- Messages, scratch buffers and the quickfix list: how results reach the user.
local M = {}

local PREFIX = 'agentls: '

--- Shows a message (through vim.notify, so notification plugins pick it up).
function M.notify(message, level)
  vim.notify(PREFIX .. message, level or vim.log.levels.INFO)
end

local shown = {}

--- Like notify, but only once per message per session of Neovim.
function M.notify_once(message, level)
  if shown[message] then
    return
  end
  shown[message] = true
  M.notify(message, level)
end

--- Opens (or reuses) a read-only scratch buffer called `name` in a split and
--- fills it with `lines`. Returns the buffer number.
function M.scratch(name, lines, filetype)
  local bufname = 'agentls://' .. name
  local bufnr = vim.fn.bufnr(bufname)
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, bufname)
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  if filetype then
    vim.bo[bufnr].filetype = filetype
  end
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
  else
    vim.api.nvim_set_current_win(win)
  end
  return bufnr
end

--- Splits text on newlines into buffer lines.
function M.lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

--- Describes a JSON-RPC error from the server in one line.
function M.describe_error(err)
  if type(err) ~= 'table' then
    return tostring(err)
  end
  return err.message or vim.inspect(err)
end

return M
