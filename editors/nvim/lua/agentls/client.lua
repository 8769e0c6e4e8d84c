-- One language client per repository (keyed by git's common dir), attached to
-- every buffer inside any of the repository's worktrees. Works on Neovim 0.7
-- (start_client + buf_attach_client) through 0.11+ (vim.lsp.start, client:request).
local M = {}

local config = require('agentls.config')
local git = require('agentls.git')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

M.NAME = 'agentls'

local has_011 = vim.fn.has('nvim-0.11') == 1

-- git common dir -> client id
local by_repository = {}
-- progress token -> callback(value) for land and friends (a token we sent)
local progress_listeners = {}
-- client id -> callback(value) while a command with progress runs: the server
-- may create its own token (window/workDoneProgress/create) instead of ours.
local progress_by_client = {}

local function get_clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.NAME })
  end
  local found = {}
  for _, client in ipairs(vim.lsp.get_active_clients()) do
    if client.name == M.NAME then
      table.insert(found, client)
    end
  end
  return found
end

local function alive(client)
  if not client then
    return false
  end
  if has_011 then
    return not client:is_stopped()
  end
  return not client.is_stopped()
end

--- Common dir a client serves (set by us, or derived from its root for clients
--- started by vim.lsp.enable('agentls')).
local function common_dir_of(client)
  local dir = client.config and client.config.agentls_common_dir
  if dir then
    return dir
  end
  local repo = client.config and client.config.root_dir and git.repository(client.config.root_dir)
  return repo and repo.common_dir or nil
end

--- The running client for a repository's common dir, whoever started it.
function M.for_common_dir(common_dir)
  local id = by_repository[common_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if alive(client) then
    return client
  end
  by_repository[common_dir] = nil
  for _, other in ipairs(get_clients()) do
    if alive(other) and common_dir_of(other) == common_dir then
      by_repository[common_dir] = other.id
      return other
    end
  end
  return nil
end

local function default_progress(err, result, ctx, handler_config)
  local handler = vim.lsp.handlers['$/progress']
  if handler then
    return handler(err, result, ctx, handler_config)
  end
end

--- Handlers shared by every way of starting the client (setup() and lsp/agentls.lua).
M.handlers = {
  ['agentls/sessionsChanged'] = function(_, params, ctx)
    if params then
      sessions.update(ctx.client_id, params)
      pcall(vim.cmd, 'redrawstatus')
      pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'AgentlsSessionsChanged', modeline = false })
    end
    return vim.NIL
  end,
  ['$/progress'] = function(err, result, ctx, handler_config)
    local listener = result and progress_listeners[result.token]
    if listener then
      listener(result.value or {})
      return vim.NIL
    end
    listener = result and progress_by_client[ctx.client_id]
    if listener then
      listener(result.value or {})
    end
    return default_progress(err, result, ctx, handler_config)
  end,
}

local function on_exit(_, _, client_id)
  for dir, id in pairs(by_repository) do
    if id == client_id then
      by_repository[dir] = nil
    end
  end
  sessions.forget(client_id)
end

--- The client config for a repository.
function M.make_config(repo)
  local options = config.options
  return {
    name = M.NAME,
    cmd = config.cmd(),
    root_dir = repo.toplevel,
    agentls_common_dir = repo.common_dir,
    init_options = options.settings,
    settings = { agentls = options.settings },
    handlers = M.handlers,
    on_exit = on_exit,
    on_attach = options.on_attach,
  }
end

--- Starts the repository's client (without attaching any buffer) and returns its id.
function M.start(repo)
  local existing = M.for_common_dir(repo.common_dir)
  if existing then
    return existing.id
  end
  if vim.fn.executable(config.cmd()[1]) ~= 1 then
    ui.notify_once(
      string.format('server command %q not found; install agentls or set cmd in setup()', config.cmd()[1]),
      vim.log.levels.ERROR
    )
    return nil
  end
  local conf = M.make_config(repo)
  local id
  if has_011 then
    id = vim.lsp.start(conf, { attach = false })
  else
    id = vim.lsp.start_client(conf)
  end
  if id then
    by_repository[repo.common_dir] = id
  end
  return id
end

--- Attaches the right client to a buffer if its file lies in a git worktree.
--- Returns the client id or nil.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil -- unnamed or not a local file (fugitive://, term://, ...)
  end
  local repo = git.repository(name)
  if not repo then
    return nil
  end
  local id = M.start(repo)
  if id and not vim.lsp.buf_is_attached(bufnr, id) then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

--- The client for a buffer's repository, else for the current directory's;
--- starts it when needed. Returns client or nil, error message.
function M.resolve(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local id = M.attach(bufnr)
  if not id then
    local repo = git.repository(vim.fn.getcwd())
    if not repo then
      return nil, 'not inside a git repository (open a file in a worktree or :cd into one)'
    end
    id = M.start(repo)
  end
  local client = id and vim.lsp.get_client_by_id(id)
  if not client then
    return nil, 'the agentls server did not start (see :checkhealth agentls)'
  end
  return client
end

local function advertised(client, command)
  local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
  return type(provider) == 'table' and vim.tbl_contains(provider.commands or {}, command)
end

--- Runs `workspace/executeCommand` with ONE object argument and calls
--- callback(err, result). `on_progress(value)` receives $/progress values.
function M.execute(client, command, argument, callback, on_progress)
  local token
  if on_progress then
    token = string.format('agentls-%d-%d', vim.loop.hrtime(), math.random(1e6))
    progress_listeners[token] = on_progress
    progress_by_client[client.id] = on_progress
  end
  local function handler(err, result)
    if token then
      progress_listeners[token] = nil
      if progress_by_client[client.id] == on_progress then
        progress_by_client[client.id] = nil
      end
    end
    callback(err, result)
  end
  -- An empty Lua table would encode as a JSON array; the server wants an object.
  if argument == nil or next(argument) == nil then
    argument = vim.empty_dict()
  end
  local arguments = { argument }
  local function send()
    if has_011 and client.exec_cmd and not token and advertised(client, command) then
      client:exec_cmd({ title = command, command = command, arguments = arguments }, {}, handler)
      return
    end
    local params = { command = command, arguments = arguments, workDoneToken = token }
    local ok
    if has_011 then
      ok = client:request('workspace/executeCommand', params, handler)
    else
      ok = client.request('workspace/executeCommand', params, handler)
    end
    if not ok then
      handler({ code = -32603, message = 'the agentls server is not running' }, nil)
    end
  end
  if client.initialized then
    send()
  else
    -- Requests before `initialized` are queued by nothing on 0.7: wait for it.
    local waited = vim.wait(10000, function()
      return client.initialized or not alive(client)
    end, 20)
    if waited and client.initialized then
      send()
    else
      handler({ code = -32603, message = 'the agentls server did not finish starting' }, nil)
    end
  end
end

--- Blocks up to `timeout_ms` for a command's answer; returns err, result.
function M.execute_sync(client, command, argument, timeout_ms)
  local done, err, result = false, nil, nil
  M.execute(client, command, argument, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout_ms or 10000, function()
    return done
  end, 10) then
    return { code = -32603, message = command .. ' timed out' }, nil
  end
  return err, result
end

--- All running agentls clients.
M.clients = get_clients

return M
