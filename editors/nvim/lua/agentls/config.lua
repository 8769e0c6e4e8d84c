-- Options for agentls.nvim: defaults, validation and the merged result.
local M = {}

--- Defaults. `settings` is sent verbatim to the server as initializationOptions
--- and answered for `workspace/configuration` section "agentls".
M.defaults = {
  -- Command that starts the language server; nil means `agentls serve` on $PATH.
  cmd = nil,
  -- Attach to every file buffer inside a git worktree as it is opened.
  autostart = true,
  -- Called as on_attach(client, bufnr) after the client attaches to a buffer.
  on_attach = nil,
  -- Show land progress as messages.
  progress = true,
  settings = {
    severity = {
      conflict = 'warning',
      overlap = 'information',
      ownership = 'warning',
      ['research-write'] = 'warning',
      ['trunk-conflict'] = 'warning',
    },
    ignore = {},
    trunk = nil,
    logLevel = 'info',
  },
}

M.options = vim.deepcopy(M.defaults)

local SEVERITIES = { error = true, warning = true, information = true, hint = true, off = true }

--- Checks user options; returns nil or a message naming the bad option.
local function problems(opts)
  -- Own checks instead of vim.validate: its table form is deprecated in 0.11+.
  local types = {
    cmd = 'table',
    autostart = 'boolean',
    on_attach = 'function',
    progress = 'boolean',
    settings = 'table',
  }
  for name, value in pairs(opts) do
    local expected = types[name]
    if not expected then
      return string.format('unknown option %q', tostring(name))
    end
    if type(value) ~= expected then
      return string.format('%s: expected %s, got %s', name, expected, type(value))
    end
  end
  if opts.cmd ~= nil and (#opts.cmd == 0 or type(opts.cmd[1]) ~= 'string') then
    return 'cmd: expected a list of strings such as { "agentls", "serve" }'
  end
  local settings = opts.settings or {}
  for kind, level in pairs(settings.severity or {}) do
    if not SEVERITIES[level] then
      return string.format(
        'settings.severity.%s: expected error, warning, information, hint or off, got %s',
        tostring(kind),
        vim.inspect(level)
      )
    end
  end
  if settings.ignore ~= nil and type(settings.ignore) ~= 'table' then
    return 'settings.ignore: expected a list of globs'
  end
  if settings.trunk ~= nil and type(settings.trunk) ~= 'string' then
    return 'settings.trunk: expected a branch name or nil'
  end
  return nil
end

--- Merges `opts` over the defaults. Raises a readable error for bad options
--- and leaves the previous options in place.
function M.set(opts)
  opts = opts or {}
  local problem = problems(opts)
  if problem then
    error('agentls.setup: ' .. problem, 0)
  end
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  return M.options
end

--- The server command: the configured one, else `agentls serve`.
function M.cmd()
  return M.options.cmd or { 'agentls', 'serve' }
end

return M
