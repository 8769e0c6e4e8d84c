-- One language client per repository (keyed by git's common dir), attached to
-- every buffer inside any of the repository's worktrees. Works on Neovim 0.7
-- (start_client + buf_attach_client) through 0.11+ (vim.lsp.start, client:request).
local M = {}

local config = require('agentls.config')
local git = require('agentls.git')
local sessions = require('agentls.sessions')
local stderr_log = require('agentls.stderr')
local ui = require('agentls.ui')

M.NAME = 'agentls'

local has_011 = vim.fn.has('nvim-0.11') == 1

-- git common dir -> client id
local by_repository = {}
-- client id -> { mark = LSP log size, exe, common_dir } from start until initialize
-- answers (clients this plugin starts; vim.lsp.enable's are Neovim's to report)
local starting = {}
-- git common dir -> why its server stopped while starting: not started again until
-- :AgentLS restart (a broken install would only fail again, once per file opened)
local failed_start = {}
-- client id -> the server's window/logMessage lines, newest last (:AgentLS log)
local logs = {}
local LOG_LINES = 2000
local next_token = 0

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

local function default_handler(method, err, result, ctx, handler_config)
  local handler = vim.lsp.handlers[method]
  if handler then
    return handler(err, result, ctx, handler_config)
  end
end

--- The latest progress of an agentls operation, echoed in the command line when
--- `progress` is on: one line, replaced by the next, never kept in :messages.
local function echo_progress(result)
  if not config.options.progress or type(result) ~= 'table' or type(result.value) ~= 'table' then
    return
  end
  local value = result.value
  local text = value.message
  if value.kind == 'begin' then
    text = value.title
  end
  if type(text) == 'string' and text ~= '' then
    local percent = type(value.percentage) == 'number' and string.format(' (%d%%)', value.percentage) or ''
    ui.echo((vim.startswith(text, 'agentls: ') and '' or 'agentls: ') .. text .. percent)
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
  ['agentls/reviewChanged'] = function(_, params, ctx)
    if type(params) == 'table' then
      require('agentls.review.state').update(ctx.client_id, params.sessions)
      pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'AgentlsReviewChanged', modeline = false })
    end
    return vim.NIL
  end,
  ['agentls/semanticChanged'] = function(_, params, ctx)
    require('agentls.semantic').update(ctx.client_id, params)
    return vim.NIL
  end,
  ['agentls/operationFinished'] = function(err, params, ctx)
    return require('agentls.operations').finished(err, params, ctx)
  end,
  -- Progress goes to Neovim's own handler (vim.lsp.status(), LspProgress on 0.10+,
  -- User LspProgressUpdate on 0.7-0.9: what fidget.nvim and statuslines read).
  ['$/progress'] = function(err, result, ctx, handler_config)
    local answer = default_handler('$/progress', err, result, ctx, handler_config)
    pcall(echo_progress, result)
    return answer
  end,
  ['window/logMessage'] = function(err, result, ctx, handler_config)
    if type(result) == 'table' and result.message then
      local lines = logs[ctx.client_id] or {}
      logs[ctx.client_id] = lines
      local kinds = { 'ERROR', 'WARN', 'INFO', 'LOG' }
      table.insert(lines, string.format('%s [%s] %s', os.date('%H:%M:%S'), kinds[result.type] or 'LOG', result.message))
      if #lines > LOG_LINES then
        table.remove(lines, 1)
      end
    end
    return default_handler('window/logMessage', err, result, ctx, handler_config)
  end,
}

--- The server's log messages this Neovim received from a client.
function M.log_lines(client_id)
  return logs[client_id] or {}
end

--- "exit 1", "signal 9": how a process ended, for a sentence.
local function exit_text(code, signal)
  if signal and signal ~= 0 then
    return 'signal ' .. signal
  end
  return 'exit ' .. tostring(code)
end

local function on_init(client)
  starting[client.id] = nil
end

--- A server that ended before answering initialize: say once why (its exit and the
--- last line it wrote), and keep its repository from starting it again.
local function stopped_while_starting(client_id, code, signal)
  local run = starting[client_id]
  starting[client_id] = nil
  if not run or code == nil or (code == 0 and (signal == 0 or signal == 15)) then
    return
  end
  local cause = stderr_log.last_words(stderr_log.since(run.mark, run.exe))
  local text = string.format('the server stopped while starting (%s)%s', exit_text(code, signal), cause ~= '' and (': ' .. cause) or '')
  M.problem = text
  if run.common_dir then
    failed_start[run.common_dir] = text
  end
  vim.schedule(function()
    ui.notify_after_startup(text, vim.log.levels.WARN)
  end)
end

local function on_exit(code, signal, client_id)
  stopped_while_starting(client_id, code, signal)
  for dir, id in pairs(by_repository) do
    if id == client_id then
      by_repository[dir] = nil
    end
  end
  sessions.forget(client_id)
  require('agentls.review.state').forget(client_id)
  require('agentls.semantic').forget(client_id)
  require('agentls.operations').forget(client_id)
end

M.on_exit = on_exit

--- The client config for a repository.
function M.make_config(repo)
  local options = config.options
  return {
    name = M.NAME,
    cmd = config.cmd(),
    -- The server starts the repository's engine from its folder before loading the
    -- language-server stack, so the first diagnostics come sooner.
    cmd_cwd = repo.toplevel,
    root_dir = repo.toplevel,
    agentls_common_dir = repo.common_dir,
    init_options = M.init_options(options.settings),
    settings = { agentls = options.settings },
    handlers = M.handlers,
    commands = require('agentls.code_actions').commands,
    on_init = on_init,
    on_exit = on_exit,
    on_attach = options.on_attach,
  }
end

--- initializationOptions: the settings, plus `operations = true`: this client
--- handles agentls/operationFinished itself (no extra window/showMessage).
function M.init_options(settings)
  local options = vim.deepcopy(settings)
  options.operations = true
  return options
end

--- Starts the repository's client (without attaching any buffer) and returns its id.
function M.start(repo)
  local existing = M.for_common_dir(repo.common_dir)
  if existing then
    return existing.id
  end
  if vim.fn.executable(config.cmd()[1]) ~= 1 then
    -- One short warning once Neovim is up: never an error with a hit-enter prompt
    -- while it starts (0.7 shows stacked startup messages that way).
    M.problem = string.format('server command %q not found', config.cmd()[1])
    local name = vim.fn.fnamemodify(config.cmd()[1], ':t')
    ui.notify_after_startup(string.format('%s not found; see :checkhealth agentls', name), vim.log.levels.WARN)
    return nil
  end
  if failed_start[repo.common_dir] then
    M.problem = failed_start[repo.common_dir]
    return nil
  end
  M.problem = nil
  local conf = M.make_config(repo)
  -- Taken before the spawn; the client is registered below before Neovim reads any of
  -- the process's output or its exit (both come on a later turn of the event loop).
  local run = { mark = stderr_log.mark(), exe = conf.cmd[1], common_dir = repo.common_dir }
  local id
  if has_011 then
    id = vim.lsp.start(conf, { attach = false })
  else
    id = vim.lsp.start_client(conf)
  end
  if id then
    by_repository[repo.common_dir] = id
    local client = vim.lsp.get_client_by_id(id)
    if client and not client.initialized then
      starting[id] = run
    end
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
    return nil, (M.problem or 'the agentls server did not start') .. ' (see :checkhealth agentls)'
  end
  return client
end

--- Whether the server offers a command (older servers lack some).
function M.advertised(client, command)
  local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
  return type(provider) == 'table' and vim.tbl_contains(provider.commands or {}, command)
end

-- Commands that may run long: they get a progress token, and a server may answer
-- them with an operation id and finish later (agentls.operations).
local LONG = {
  ['agentls.session.land'] = true,
  ['agentls.session.landAll'] = true,
  ['agentls.session.new'] = true,
  ['agentls.session.fork'] = true,
  ['agentls.verify.run'] = true, -- semantic checks (agentls.semantic)
}

--- Runs `workspace/executeCommand` with ONE object argument and calls
--- callback(err, result) with the command's result: for a long operation, the
--- result its end carries, whether the server answered at once or at the end.
function M.execute(client, command, argument, callback)
  -- An empty Lua table would encode as a JSON array; the server wants an object.
  if argument == nil or next(argument) == nil then
    argument = vim.empty_dict()
  end
  local params = { command = command, arguments = { argument } }
  local long = LONG[command] and not (type(argument) == 'table' and argument.dryRun)
  -- These report progress too (a review's approve-and-land lands; checks build
  -- and test), but answer with their own result.
  local progress = long or command == 'agentls.review.runChecks' or (command == 'agentls.review.verdict' and argument.land == true)
  if progress then
    next_token = next_token + 1
    params.workDoneToken = string.format('agentls-nvim-%d-%d', vim.fn.getpid(), next_token)
  end
  local function handler(err, result)
    if not err and long and require('agentls.operations').is_started(result) then
      return require('agentls.operations').wait(client.id, result, callback)
    end
    callback(err, result)
  end
  local function send()
    -- A plain request, never client:exec_cmd: our own client-side commands (code
    -- actions) would catch it.
    local ok
    if has_011 then
      ok = client:request('workspace/executeCommand', params, handler)
    else
      ok = client.request('workspace/executeCommand', params, handler)
    end
    if not ok then
      handler({ code = -32603, message = 'the agentls server is not running (:AgentLS restart)' }, nil)
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
      handler({ code = -32603, message = 'the agentls server did not finish starting (:AgentLS log)' }, nil)
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

--- Buffers a client is attached to.
function M.buffers(client)
  local found = {}
  for bufnr in pairs(client.attached_buffers or {}) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      table.insert(found, bufnr)
    end
  end
  table.sort(found)
  return found
end

local function stop(client, force)
  if has_011 then
    client:stop(force)
  else
    client.stop(force)
  end
end

--- Whether the client came from `vim.lsp.enable('agentls')` (lsp/agentls.lua)
--- rather than setup(): a restart starts it the same way.
local function enabled_route()
  return vim.lsp.is_enabled ~= nil and vim.lsp.is_enabled(M.NAME)
end

local function reattach(bufnr)
  if enabled_route() then
    -- Only the vim.lsp.enable autocommand, not every FileType handler.
    pcall(vim.api.nvim_exec_autocmds, 'FileType', { group = 'nvim.lsp.enable', buffer = bufnr, modeline = false })
  else
    M.attach(bufnr)
  end
end

--- Stops the clients of a repository (all agentls clients when `common_dir` is
--- nil), waits for them to exit, and starts them again for the same buffers:
--- after installing agentls, changing `cmd`, or when the server misbehaves.
--- Without a running client it attaches every loaded buffer. Returns the number
--- of buffers attached again.
function M.restart(common_dir)
  local old, buffers = {}, {}
  for _, client in ipairs(get_clients()) do
    if common_dir == nil or common_dir_of(client) == common_dir then
      table.insert(old, client)
      vim.list_extend(buffers, M.buffers(client))
    end
  end
  for _, client in ipairs(old) do
    stop(client)
  end
  -- Gone, not just stopping: vim.lsp.start would otherwise reuse a dying client.
  local function all_stopped()
    for _, client in ipairs(old) do
      if alive(client) or vim.lsp.get_client_by_id(client.id) ~= nil then
        return false
      end
    end
    return true
  end
  if not vim.wait(5000, all_stopped, 50) then
    for _, client in ipairs(old) do
      stop(client, true)
    end
    vim.wait(3000, all_stopped, 50)
  end
  for _, client in ipairs(old) do
    on_exit(nil, nil, client.id)
  end
  git.clear_cache()
  ui.forget_once()
  failed_start = {}
  if #old == 0 then
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        table.insert(buffers, bufnr)
      end
    end
  end
  for _, bufnr in ipairs(buffers) do
    reattach(bufnr)
  end
  return #buffers
end

return M
