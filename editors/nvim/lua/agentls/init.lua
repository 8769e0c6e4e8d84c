-- agentls.nvim: see where parallel sessions (git worktrees) collide, and land them.
-- :help agentls
local M = {}

local config = require('agentls.config')

local group

--- Configures the plugin and, unless `autostart = false`, attaches every file
--- buffer inside a git worktree (now and as they open) to its repository's
--- agentls server. Safe to call again: later calls replace the options.
function M.setup(opts)
  config.set(opts)
  group = vim.api.nvim_create_augroup('agentls', { clear = true })
  if not config.options.autostart then
    return
  end
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile', 'BufFilePost' }, {
    group = group,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = 'agentls: attach buffers in git worktrees',
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

--- Attaches a buffer (default: current) to its repository's client; returns
--- the client id or nil when the file is not in a git worktree.
function M.attach(bufnr)
  local ok, result = pcall(require('agentls.client').attach, bufnr)
  if not ok then
    require('agentls.ui').notify_once('could not attach: ' .. tostring(result), vim.log.levels.ERROR)
    return nil
  end
  return result
end

--- `:AgentLS` entry point (see plugin/agentls.lua).
function M.command(fargs, bang)
  require('agentls.commands').run(fargs, bang)
end

--- Completion for `:AgentLS`.
function M.complete(arglead, cmdline)
  return require('agentls.commands').complete(arglead, cmdline)
end

--- Runs an `agentls.*` server command for the current buffer's repository and
--- calls `callback(err, result)`; for scripts and mappings.
function M.execute(command, argument, callback)
  local client_mod = require('agentls.client')
  local client, err = client_mod.resolve(0)
  if not client then
    return callback({ message = err }, nil)
  end
  client_mod.execute(client, command, argument, callback)
end

--- Session and collision count of the current buffer for a statusline, e.g.
--- "billing !2" or "billing"; "" outside agentls repositories. Cheap: reads
--- what the server last pushed, never asks it.
function M.statusline(bufnr)
  local ok, text = pcall(function()
    local git = require('agentls.git')
    local sessions = require('agentls.sessions')
    local client_mod = require('agentls.client')
    local name = vim.api.nvim_buf_get_name(bufnr or 0)
    local repo = git.repository(name ~= '' and name or vim.fn.getcwd())
    local client = repo and client_mod.for_common_dir(repo.common_dir)
    if not client then
      return ''
    end
    local session = sessions.session_of(client.id, name ~= '' and name or vim.fn.getcwd())
    if not session then
      return ''
    end
    local count = session.collisions or 0
    return count > 0 and string.format('%s !%d', session.name, count) or session.name
  end)
  return ok and text or ''
end

return M
