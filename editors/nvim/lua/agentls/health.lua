-- :checkhealth agentls
local M = {}

-- vim.health on 0.10+, the `health` module on 0.7-0.9.
local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local fail = health.error or health.report_error
local info = health.info or health.report_info

local MIN_GIT = { 2, 38, 0 }
local MIN_WATCHES = 65536

local function at_least(version, minimum)
  for i = 1, 3 do
    if (version[i] or 0) ~= minimum[i] then
      return (version[i] or 0) > minimum[i]
    end
  end
  return true
end

local function check_neovim()
  local v = vim.version()
  local text = string.format('Neovim %d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.7') == 1 then
    ok(text .. (vim.fn.has('nvim-0.11') == 1 and ' (vim.lsp.config available)' or ''))
  else
    fail(text .. ' is too old', { 'agentls.nvim needs Neovim 0.7 or newer' })
  end
end

local function check_git()
  local version = require('agentls.git').version()
  if not version then
    fail('git not found', { 'install git 2.38 or newer' })
    return false
  end
  local text = string.format('git %d.%d.%d', version[1], version[2], version[3])
  if at_least(version, MIN_GIT) then
    ok(text)
    return true
  end
  fail(text .. ' is older than 2.38', { 'agentls needs `git merge-tree --write-tree` (git 2.38+)' })
  return false
end

--- Starts the server once, waits for `initialize` to finish, and stops it.
local function probe_server(cmd, root)
  local id, exit_code
  local mark = require('agentls.stderr').mark()
  local conf = {
    name = 'agentls-health',
    cmd = cmd,
    root_dir = root,
    handlers = require('agentls.client').handlers,
    on_exit = function(code)
      exit_code = code
    end,
  }
  if vim.fn.has('nvim-0.11') == 1 then
    id = vim.lsp.start(conf, { attach = false })
  else
    id = vim.lsp.start_client(conf)
  end
  local client = id and vim.lsp.get_client_by_id(id)
  if not client then
    return false, 'the client did not start'
  end
  local started = vim.wait(15000, function()
    return client.initialized == true or exit_code ~= nil
  end, 50) and client.initialized == true
  local name = client.server_info and client.server_info.name
  if vim.fn.has('nvim-0.11') == 1 then
    client:stop()
  else
    client.stop()
  end
  if exit_code then
    local stderr = require('agentls.stderr')
    local cause = stderr.last_words(stderr.since(mark, cmd[1]))
    return false, string.format('it exited with status %d%s (see :AgentLS log)', exit_code, cause ~= '' and (': ' .. cause) or '')
  end
  if not started then
    return false, 'no answer to initialize within 15 s'
  end
  return true, name
end

--- How the user starts agentls: "enable" (vim.lsp.enable('agentls') on 0.11+,
--- configured with vim.lsp.config), "setup" (require('agentls').setup()), or nil.
local function route()
  if vim.lsp.is_enabled and vim.lsp.is_enabled('agentls') then
    return 'enable'
  end
  if require('agentls.config').configured then
    return 'setup'
  end
  return nil
end

--- The server command of that route.
local function route_cmd(how)
  if how == 'enable' then
    local resolved = vim.lsp.config and vim.lsp.config.agentls
    if resolved and type(resolved.cmd) == 'table' then
      return resolved.cmd
    end
  end
  return require('agentls.config').cmd()
end

--- Where to set the server command, in the words of the route taken.
local function cmd_advice(how, cmd)
  local example = "{ '/path/to/agentls', 'serve' }"
  if how == 'enable' then
    return {
      'pipx install agentls (or put a virtual environment\'s bin/ on $PATH), then :AgentLS restart',
      string.format("or point vim.lsp.config at it: vim.lsp.config('agentls', { cmd = %s })", example),
    }
  end
  return {
    'pipx install agentls (or put a virtual environment\'s bin/ on $PATH), then :AgentLS restart',
    string.format("or point setup() at it: require('agentls').setup({ cmd = %s })", example),
    string.format('(now: %s)', table.concat(cmd, ' ')),
  }
end

local function check_route()
  local how = route()
  if how == 'enable' then
    ok("started by vim.lsp.enable('agentls') (lsp/agentls.lua, settings through vim.lsp.config)")
    if require('agentls.config').configured then
      warn('require(\'agentls\').setup() was called too', {
        'use one route: setup() starts its own client for buffers vim.lsp.enable already serves',
        "keep vim.lsp.enable('agentls') and drop setup(), or the other way round",
      })
    end
  elseif how == 'setup' then
    ok("started by require('agentls').setup()")
  else
    warn('agentls is not set up, so no buffer attaches', {
      vim.fn.has('nvim-0.11') == 1 and "add vim.lsp.enable('agentls') (or require('agentls').setup()) to your config"
        or "add require('agentls').setup() to your config",
    })
  end
  return how
end

local function check_server(repo, how)
  local cmd = route_cmd(how)
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    fail(string.format('server command %q not found', cmd[1]), cmd_advice(how, cmd))
    return nil
  end
  ok(string.format('server command: %s (%s)', table.concat(cmd, ' '), exe))
  local client = repo and require('agentls.client').for_common_dir(repo.common_dir)
  if client then
    ok(string.format('server running for this repository (client id %d)', client.id))
    return client
  end
  local root = repo and repo.toplevel or vim.fn.getcwd()
  local started, detail = probe_server(cmd, root)
  if started then
    ok('server starts and answers initialize' .. (detail and (' (' .. detail .. ')') or ''))
  else
    fail('server did not start: ' .. tostring(detail), {
      'run `' .. table.concat(cmd, ' ') .. '` in a terminal to see why',
      ':AgentLS log shows what it said',
    })
  end
  return nil
end

local function trunk_from_git(repo)
  local git = require('agentls.git')
  local head = git.run({ 'symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD' }, repo.toplevel)
  if head and head[1] then
    return head[1]:gsub('^origin/', '')
  end
  for _, branch in ipairs({ 'main', 'master' }) do
    if git.run({ 'rev-parse', '--verify', '--quiet', 'refs/heads/' .. branch }, repo.toplevel) then
      return branch
    end
  end
  return nil
end

local function check_repository()
  local git = require('agentls.git')
  local name = vim.api.nvim_buf_get_name(0)
  local repo = (name ~= '' and git.repository(name)) or git.repository(vim.fn.getcwd())
  if not repo then
    warn('not inside a git repository', { 'open a file in a worktree, or :cd into one, and run :checkhealth agentls again' })
    return nil
  end
  ok('repository: ' .. repo.common_dir)
  local worktrees = git.run({ 'worktree', 'list', '--porcelain' }, repo.toplevel) or {}
  local count = 0
  for _, line in ipairs(worktrees) do
    if vim.startswith(line, 'worktree ') then
      count = count + 1
    end
  end
  ok(string.format('%d worktree%s (sessions)', count, count == 1 and '' or 's'))
  return repo
end

local function check_trunk(repo, client, how)
  local configured = require('agentls.config').options.settings.trunk
  if how == 'enable' then
    local resolved = vim.lsp.config and vim.lsp.config.agentls or {}
    local settings = type(resolved.settings) == 'table' and resolved.settings.agentls or {}
    configured = type(settings) == 'table' and settings.trunk or nil
  end
  if client then
    local err, answer = require('agentls.client').execute_sync(client, 'agentls.sessions', {}, 15000)
    local trunk = not err and answer and answer.report and answer.report.trunk
    if trunk and trunk.branch then
      ok(string.format('trunk: %s (from the server)', trunk.branch))
      return
    end
  end
  local branch = configured or trunk_from_git(repo)
  if branch then
    ok('trunk: ' .. branch .. (configured and ' (configured)' or ''))
  else
    fail('no trunk found (no origin/HEAD, main or master)', {
      how == 'enable' and "set it: vim.lsp.config('agentls', { settings = { agentls = { trunk = 'develop' } } })"
        or "set it: require('agentls').setup({ settings = { trunk = 'develop' } })",
    })
  end
end

local function read_number(path)
  local file = io.open(path, 'r')
  if not file then
    return nil
  end
  local value = tonumber(file:read('*l'))
  file:close()
  return value
end

local function check_inotify()
  if vim.fn.has('linux') ~= 1 then
    info('not Linux: inotify limits do not apply')
    return
  end
  local watches = read_number('/proc/sys/fs/inotify/max_user_watches')
  local instances = read_number('/proc/sys/fs/inotify/max_user_instances')
  if not watches then
    warn('could not read /proc/sys/fs/inotify/max_user_watches')
    return
  end
  local text = string.format('inotify: max_user_watches=%d, max_user_instances=%s', watches, tostring(instances))
  if watches >= MIN_WATCHES then
    ok(text)
  else
    warn(text, {
      'agentls watches every folder of every worktree; raise the limit:',
      'sudo sysctl fs.inotify.max_user_watches=524288',
    })
  end
end

function M.check()
  start('agentls: editor and tools')
  check_neovim()
  check_git()
  start('agentls: repository')
  local repo = check_repository()
  start('agentls: server')
  local how = check_route()
  local client = check_server(repo, how)
  if repo then
    check_trunk(repo, client, how)
  end
  start('agentls: file watching')
  check_inotify()
end

return M
