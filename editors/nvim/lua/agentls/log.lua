-- :AgentLS log: what the agentls server said, in one buffer: its window/logMessage
-- lines (kept by the client), then its stderr as Neovim's LSP log recorded it.
local M = {}

local client_mod = require('agentls.client')
local config = require('agentls.config')
local stderr_log = require('agentls.stderr')
local ui = require('agentls.ui')

local STDERR_LINES = 200

--- The log buffer's lines.
function M.lines(client)
  local log_path = vim.lsp.get_log_path()
  local lines = {}
  local clients = client and { client } or client_mod.clients()
  table.insert(lines, string.format('agentls log   server command: %s', table.concat(config.cmd(), ' ')))
  if client_mod.problem then
    table.insert(lines, 'problem: ' .. client_mod.problem .. ' (:checkhealth agentls)')
  end
  if #clients == 0 then
    table.insert(lines, 'no agentls server is running for this buffer (:AgentLS restart starts one)')
  end
  for _, c in ipairs(clients) do
    table.insert(lines, '')
    table.insert(lines, string.format('client %d  root %s', c.id, tostring(c.config and c.config.root_dir)))
    local messages = client_mod.log_lines(c.id)
    if #messages == 0 then
      table.insert(lines, '  (no log messages yet)')
    end
    for _, message in ipairs(messages) do
      for _, part in ipairs(vim.split(message, '\n', { plain = true })) do
        table.insert(lines, '  ' .. part)
      end
    end
  end
  table.insert(lines, '')
  table.insert(lines, string.format('stderr, from Neovim\'s LSP log %s:', log_path))
  local stderr = stderr_log.log_lines(STDERR_LINES)
  if #stderr == 0 then
    table.insert(lines, '  (nothing)')
  end
  for _, line in ipairs(stderr) do
    table.insert(lines, '  ' .. line)
  end
  return lines
end

--- Opens the log buffer (refreshed each time); `r` in it reads the log again.
function M.open(client)
  local bufnr = ui.scratch('log', M.lines(client), 'log')
  vim.api.nvim_buf_set_keymap(bufnr, 'n', 'r', '', {
    nowait = true,
    silent = true,
    callback = function()
      M.open(client)
    end,
  })
  vim.api.nvim_win_set_cursor(0, { vim.api.nvim_buf_line_count(bufnr), 0 })
  return bufnr
end

return M
