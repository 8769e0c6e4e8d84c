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
--- calls `callback(err, result)`; for scripts and mappings. A long operation
--- (land, land-all, new, fork) calls back when it ends.
function M.execute(command, argument, callback)
  local client_mod = require('agentls.client')
  local client, err = client_mod.resolve(0)
  if not client then
    return callback({ message = err }, nil)
  end
  client_mod.execute(client, command, argument, callback)
end

--- Distinct collisions among a buffer's agentls diagnostics: one per kind and
--- other session (a conflict on two ranges is one collision).
local function buffer_collisions(bufnr)
  local seen, count = {}, 0
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    if diagnostic.source == 'agentls' then
      local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
      local data = type(lsp.data) == 'table' and lsp.data or {}
      local key = table.concat({
        tostring(diagnostic.code or data.kind),
        tostring(data.other or diagnostic.message),
        tostring(data.via or ''),
      }, '\0')
      if not seen[key] then
        seen[key] = true
        count = count + 1
      end
    end
  end
  return count
end

--- This buffer's agentls status, cheaply (what the server last pushed, never a
--- request): { session = name, buffer = collisions in this file, total =
--- collisions of the session, counts = { kind = n } (the repository's) }, or nil
--- outside agentls repositories.
function M.status(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local ok, result = pcall(function()
    local git = require('agentls.git')
    local sessions = require('agentls.sessions')
    local client_mod = require('agentls.client')
    local name = vim.api.nvim_buf_get_name(bufnr)
    local where = name ~= '' and not name:match('^%a[%w+.-]*://') and name or vim.fn.getcwd()
    local repo = git.repository(where)
    local client = repo and client_mod.for_common_dir(repo.common_dir)
    if not client then
      return nil
    end
    local session = sessions.session_of(client.id, where)
    if not session then
      return nil
    end
    local state = sessions.get(client.id) or {}
    local semantic = require('agentls.semantic')
    return {
      session = session.name,
      buffer = buffer_collisions(bufnr),
      total = tonumber(session.collisions) or 0,
      counts = state.counts or {},
      checks = semantic.status_text(semantic.get(client.id)),
      checking = semantic.short_text(semantic.get(client.id)),
    }
  end)
  return ok and result or nil
end

--- For a statusline: the buffer's session, then "!{this buffer's collisions}/
--- {the session's}" when the session has any, e.g. "billing !1/3", "billing
--- !0/2", "billing"; "" outside agentls repositories. While semantic checks run,
--- " checking" (" checking +2": two more queued) follows.
function M.statusline(bufnr)
  local status = M.status(bufnr)
  if not status then
    return ''
  end
  local checking = status.checking and (' ' .. status.checking) or ''
  if status.total == 0 and status.buffer == 0 then
    return status.session .. checking
  end
  return string.format('%s !%d/%d%s', status.session, status.buffer, math.max(status.total, status.buffer), checking)
end

return M
