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
  -- Echo the latest progress of a land, land-all, new or fork in the command line
  -- (one line, not kept in :messages). Progress always reaches vim.lsp.status(),
  -- LspProgress (0.10+) and User LspProgressUpdate (0.7-0.9): turn this off when
  -- fidget.nvim or a statusline shows it.
  progress = true,
  -- After :AgentLS new / fork (or bringing a session back): "ask" whether to open
  -- the new worktree, "tab" (a new tab, :tcd there), "tcd" (this tab), or false.
  open_new = 'ask',
  -- Keys of the sessions buffer (:AgentLS), each mapped to <Plug>(agentls-NAME).
  -- A key may be a list; false leaves the action unmapped.
  mappings = {
    toggle = { '=', '<Tab>' },
    open_item = '<CR>',
    land = 'L',
    handoff = 'H',
    rename = 'R',
    claim = 'c',
    release = 'C',
    priority = 'p',
    remove = 'X',
    restore = 'u',
    new = 'n',
    fork = 'f',
    tab = 'O',
    tcd = 'D',
    review = 'V',
    verify = 'v',
    open_log = 'gl',
    refresh = '<C-r>',
    next_session = ']]',
    previous_session = '[[',
    help = 'g?',
    close = 'q',
  },
  -- The review sweep (:AgentLS review): "oldest-first" (the playbook's cascade:
  -- priority, then age) or "newest-first".
  review_order = 'oldest-first',
  -- Keys of the review buffer, each mapped to <Plug>(agentls-review-NAME). The
  -- diff tabs map next_file, previous_file, close and the verdicts too.
  review_mappings = {
    toggle = { '=', '<Tab>' },
    open_item = '<CR>',
    diff = 'd',
    approve = 'a',
    approve_land = 'l',
    request_changes = 'c',
    skip = 's',
    remove = 'X',
    run_checks = 'r',
    next_session = ']]',
    previous_session = '[[',
    next_file = ']f',
    previous_file = '[f',
    refresh = '<C-r>',
    help = 'g?',
    close = 'q',
  },
  settings = {
    severity = {
      conflict = 'warning',
      overlap = 'information',
      ownership = 'warning',
      ['research-write'] = 'warning',
      ['trunk-conflict'] = 'warning',
      semantic = 'warning',
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
    open_new = 'any',
    mappings = 'table',
    review_order = 'string',
    review_mappings = 'table',
    settings = 'table',
  }
  for name, value in pairs(opts) do
    local expected = types[name]
    if not expected then
      return string.format('unknown option %q', tostring(name))
    end
    if expected ~= 'any' and type(value) ~= expected then
      return string.format('%s: expected %s, got %s', name, expected, type(value))
    end
  end
  local open_new = opts.open_new
  if open_new ~= nil and open_new ~= false and open_new ~= 'ask' and open_new ~= 'tab' and open_new ~= 'tcd' then
    return string.format('open_new: expected "ask", "tab", "tcd" or false, got %s', vim.inspect(open_new))
  end
  for _, option in ipairs({ 'mappings', 'review_mappings' }) do
    for action, key in pairs(opts[option] or {}) do
      if M.defaults[option][action] == nil then
        return string.format('%s: unknown action %q (known: %s)', option, tostring(action), table.concat(M.actions(option), ', '))
      end
      local ok = key == false or type(key) == 'string' or (type(key) == 'table' and #key > 0)
      if not ok then
        return string.format('%s.%s: expected a key, a list of keys or false', option, action)
      end
    end
  end
  if opts.review_order ~= nil and opts.review_order ~= 'oldest-first' and opts.review_order ~= 'newest-first' then
    return string.format('review_order: expected "oldest-first" or "newest-first", got %s', vim.inspect(opts.review_order))
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

--- Names of the sessions buffer's actions (or the review buffer's, with
--- "review_mappings"), sorted.
function M.actions(option)
  local names = vim.tbl_keys(M.defaults[option or 'mappings'])
  table.sort(names)
  return names
end

--- Merges `opts` over the defaults. Raises a readable error for bad options
--- and leaves the previous options in place.
function M.set(opts)
  opts = opts or {}
  local problem = problems(opts)
  if problem then
    error('agentls.setup: ' .. problem, 0)
  end
  local mappings = vim.tbl_extend('force', vim.deepcopy(M.defaults.mappings), opts.mappings or {})
  local review_mappings = vim.tbl_extend('force', vim.deepcopy(M.defaults.review_mappings), opts.review_mappings or {})
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  M.options.mappings = mappings -- a list of keys replaces the default list
  M.options.review_mappings = review_mappings
  M.configured = true
  return M.options
end

--- The server command: the configured one, else `agentls serve`.
function M.cmd()
  return M.options.cmd or { 'agentls', 'serve' }
end

return M
