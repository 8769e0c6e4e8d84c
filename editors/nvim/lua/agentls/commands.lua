-- `:AgentLS[!] {subcommand} {args}`: parsing and completion. The verbs live in
-- agentls.actions, the sessions buffer in agentls.view.
local M = {}

local actions = require('agentls.actions')
local client_mod = require('agentls.client')
local git = require('agentls.git')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

local levels = vim.log.levels

local QUICKFIX_TYPES = { error = 'E', warning = 'W', information = 'I', info = 'I', hint = 'N' }

--- The quickfix type of a collision kind: the severity its diagnostics have.
function M.quickfix_type(kind)
  local severity = require('agentls.config').options.settings.severity or {}
  return QUICKFIX_TYPES[severity[kind] or 'warning'] or 'W'
end

--- Quickfix items for a report: one per side and range of each collision.
function M.quickfix_items(report)
  local paths = {}
  for _, session in ipairs(report.sessions or {}) do
    paths[session.name] = session.path
  end
  local items = {}
  for _, overlap in ipairs(report.overlaps or {}) do
    local names = overlap.sessions or {}
    for index, name in ipairs(names) do
      -- A session in `paths` sees a rename's conflict at the entry listed at its own path.
      if not sessions.seen_elsewhere(overlap, name) then
        -- A research write has no other side: it is the fork's own finding.
        local other = names[index == 1 and 2 or 1]
        local against = other and (' vs ' .. other) or ''
        local detail = (overlap.detail and #overlap.detail > 0) and (' [' .. table.concat(overlap.detail, ', ') .. ']') or ''
        local ranges = (overlap.ranges or {})[name]
        if not ranges or #ranges == 0 then
          ranges = { { 1, 1 } }
        end
        local rel = type(overlap.paths) == 'table' and overlap.paths[name] or overlap.path
        if overlap.kind == 'semantic' and type(overlap.semantic) == 'table' then
          against = other and against or (' vs ' .. tostring(overlap.semantic.trunk or 'trunk') .. ' (trunk)')
          detail = ' [' .. require('agentls.semantic').check_text(overlap.semantic) .. ']'
        end
        for _, range in ipairs(ranges) do
          table.insert(items, {
            filename = (paths[name] or '.') .. '/' .. rel,
            lnum = range[1],
            end_lnum = range[2],
            col = 1,
            type = M.quickfix_type(overlap.kind),
            text = string.format('%s: %s%s (lines %d-%d)%s', overlap.kind, name, against, range[1], range[2], detail),
          })
        end
      end
    end
  end
  return items
end

M.subcommands = {}

M.subcommands.status = {
  run = function(ctx)
    require('agentls.view').open(ctx.client)
  end,
}
M.subcommands.sessions = M.subcommands.status

M.subcommands.refresh = {
  run = function(ctx)
    local err, answer = client_mod.execute_sync(ctx.client, 'agentls.refresh', {}, 30000)
    if err then
      return actions.fail(err)
    end
    if type(answer) == 'table' and type(answer.report) == 'table' then
      sessions.update_from_report(ctx.client.id, answer)
    end
    local state = sessions.get(ctx.client.id)
    ui.notify(string.format('refreshed: %s', actions.plural(state and state.total or 0, 'collision')))
  end,
}

M.subcommands.review = {
  complete = 'review',
  run = function(ctx)
    require('agentls.review').open(ctx.client, ctx.args[1])
  end,
}

-- Semantic checks (docs/semantic.md): `:AgentLS verify [A B]` builds and tests the
-- pending pairs (or one; B may be trunk's branch) merged now; with ! even the
-- cached ones. `:AgentLS checks [allow|forbid]` says where the background checks
-- stand, or allows / stops them for this repository.
M.subcommands.verify = {
  complete = 'pair',
  run = function(ctx)
    require('agentls.semantic').verify(ctx, #ctx.args > 0 and ctx.args or nil, ctx.bang)
  end,
}

M.subcommands.checks = {
  complete = 'checks',
  run = function(ctx)
    local semantic = require('agentls.semantic')
    local verb = ctx.args[1]
    if verb == 'allow' or verb == 'forbid' then
      return semantic.allow(ctx, verb == 'allow')
    end
    if verb ~= nil then
      return ui.notify(string.format('checks: unknown %q (allow, forbid, or nothing to see the status)', verb), levels.ERROR)
    end
    semantic.show(ctx)
  end,
}

M.subcommands.overlaps = {
  run = function(ctx)
    local answer, err = actions.load(ctx)
    if not answer then
      return ui.notify(err, levels.ERROR)
    end
    local items = M.quickfix_items(answer.report or {})
    vim.fn.setqflist({}, ' ', { title = 'agentls overlaps', items = items })
    if #items == 0 then
      ui.notify('no collisions')
    else
      vim.cmd('copen')
    end
  end,
}

M.subcommands.new = {
  run = function(ctx)
    actions.new(ctx, ctx.args[1], ctx.args[2])
  end,
}

M.subcommands.fork = {
  run = function(ctx)
    actions.fork(ctx, ctx.args[1], ctx.args[2])
  end,
}

M.subcommands.rename = {
  complete = 'rename',
  run = function(ctx)
    local old, new = ctx.args[1], ctx.args[2]
    if old and not new then
      -- One name: rename the current session to it.
      local current, err = actions.current(ctx)
      if not current then
        return ui.notify(err, levels.ERROR)
      end
      old, new = current, ctx.args[1]
    end
    actions.rename(ctx, old, new)
  end,
}

M.subcommands.claim = {
  complete = 'globs',
  run = function(ctx)
    actions.claim(ctx, nil, ctx.args, ctx.bang)
  end,
}

M.subcommands.release = {
  complete = 'claims',
  run = function(ctx)
    actions.release(ctx, nil, ctx.args)
  end,
}

M.subcommands.priority = {
  complete = 'priority',
  run = function(ctx)
    local session, value = ctx.args[1], ctx.args[2]
    if session and not value then
      session, value = nil, session
    end
    actions.priority(ctx, session, value)
  end,
}

M.subcommands.handoff = {
  complete = 'handoff',
  run = function(ctx)
    actions.handoff(ctx, ctx.args[1])
  end,
}

M.subcommands.land = {
  complete = 'land',
  run = function(ctx)
    actions.land(ctx, ctx.args[1], false)
  end,
}

M.subcommands['land-all'] = {
  run = function(ctx)
    actions.land_all(ctx)
  end,
}

M.subcommands.remove = {
  complete = 'remove',
  run = function(ctx)
    actions.remove(ctx, ctx.args[1], ctx.bang)
  end,
}

M.subcommands.restore = {
  complete = 'restore',
  run = function(ctx)
    actions.restore(ctx, ctx.args[1], ctx.args[2])
  end,
}

M.subcommands.recover = {
  run = function(ctx)
    actions.recover(ctx)
  end,
}

M.subcommands.open = {
  complete = 'open',
  run = function(ctx)
    actions.open(ctx, ctx.args[1], 'tab')
  end,
}

M.subcommands.cd = {
  complete = 'open',
  run = function(ctx)
    actions.open(ctx, ctx.args[1], 'tcd')
  end,
}

M.subcommands.log = {
  needs_client = false,
  run = function(ctx)
    require('agentls.log').open(ctx.client)
  end,
}

M.subcommands.restart = {
  needs_client = false,
  run = function(ctx)
    local repo = git.repository(vim.api.nvim_buf_get_name(ctx.bufnr)) or git.repository(vim.fn.getcwd())
    local running = repo and client_mod.for_common_dir(repo.common_dir)
    local count = client_mod.restart(running and repo.common_dir or nil)
    local problem = client_mod.problem
    if problem then
      return ui.notify(problem .. '; see :checkhealth agentls', levels.WARN)
    end
    ui.notify(string.format('restarted the agentls server (%s attached)', actions.plural(count, 'buffer')))
  end,
}

--- Subcommand names, sorted.
function M.names()
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return names
end

local function completion_client()
  local repo = git.repository(vim.api.nvim_buf_get_name(0)) or git.repository(vim.fn.getcwd())
  return repo and client_mod.for_common_dir(repo.common_dir), repo
end

local function session_names(client, verb)
  local names = {}
  for _, session in ipairs(actions.candidates(client.id, verb)) do
    table.insert(names, session.name)
  end
  return names
end

--- The current session's worktree and state entry for completion (no server request).
local function current_session(client)
  local name = vim.api.nvim_buf_get_name(0)
  local session = sessions.session_of(client.id, name ~= '' and name or vim.fn.getcwd())
  if not session then
    local state = sessions.get(client.id)
    session = state and state.self and sessions.find(client.id, state.self)
  end
  return session
end

--- Globs to claim: the folders ("dir/**") and files under what was typed,
--- relative to the current session's worktree.
local function glob_candidates(client, arglead)
  local session = current_session(client)
  local root = session and session.path
  if not root then
    return {}
  end
  local dir = arglead:match('^(.*/)') or ''
  local found = {}
  if dir == '' then
    local file = vim.api.nvim_buf_get_name(0)
    local real = git.realpath(file)
    local base = session.realpath or git.realpath(root)
    if file ~= '' and vim.startswith(real, base .. '/') then
      local relative = real:sub(#base + 2)
      table.insert(found, relative)
      local parent = relative:match('^(.*)/[^/]+$')
      if parent then
        table.insert(found, parent .. '/**')
      end
    end
  end
  local handle = vim.loop.fs_scandir(root .. '/' .. dir)
  while handle do
    local entry, kind = vim.loop.fs_scandir_next(handle)
    if not entry then
      break
    end
    if entry ~= '.git' then
      if kind == 'directory' then
        table.insert(found, dir .. entry .. '/**')
        table.insert(found, dir .. entry .. '/')
      else
        table.insert(found, dir .. entry)
      end
    end
  end
  return found
end

--- Completion for a claim typed into vim.ui.input (the whole line is the globs).
function M.complete_claim_input(arglead)
  local client = completion_client()
  if not client then
    return {}
  end
  local last = arglead:match('(%S*)$') or ''
  local head = arglead:sub(1, #arglead - #last)
  local found = {}
  for _, glob in ipairs(glob_candidates(client, last)) do
    if vim.startswith(glob, last) then
      table.insert(found, head .. glob)
    end
  end
  return found
end

local function candidates_for(kind, client, position, args, arglead)
  if kind == 'globs' then
    return glob_candidates(client, arglead)
  end
  if kind == 'claims' then
    local session = current_session(client)
    return session and type(session.claims) == 'table' and session.claims or {}
  end
  if kind == 'checks' then
    return position == 1 and { 'allow', 'forbid' } or {}
  end
  if kind == 'pair' then
    return position <= 2 and session_names(client, 'verify') or {}
  end
  if kind == 'restore' then
    local repo_dir = client.config and client.config.root_dir
    local backups = git.backups(repo_dir)
    if position == 1 then
      local names = {}
      for name in pairs(backups) do
        local info = sessions.find(client.id, name)
        if not info or actions.applies.restore(info) then
          table.insert(names, name)
        end
      end
      table.sort(names)
      return names
    end
    local stamps = {}
    for _, backup in ipairs(backups[args[1]] or {}) do
      table.insert(stamps, backup.stamp)
    end
    return stamps
  end
  if position == 1 then
    return session_names(client, kind)
  end
  return {}
end

--- Completion for `:AgentLS <args>`: subcommands, then what each one takes.
function M.complete(arglead, cmdline)
  local words = vim.split(cmdline, '%s+', { trimempty = true })
  -- words[1] is "AgentLS" (or "AgentLS!"); a finished word is followed by a space.
  local typing = arglead ~= ''
  local completing_first = #words <= 1 or (#words == 2 and typing)
  local candidates
  if completing_first then
    candidates = M.names()
  else
    local sub = M.subcommands[words[2]]
    if not sub or not sub.complete then
      return {}
    end
    local client = completion_client()
    if not client then
      return {}
    end
    local args = vim.list_slice(words, 3)
    local position = #args + (typing and 0 or 1)
    candidates = candidates_for(sub.complete, client, position, args, arglead)
  end
  return vim.tbl_filter(function(name)
    return vim.startswith(name, arglead)
  end, candidates)
end

--- Runs `:AgentLS[!] {subcommand} {args}` (no subcommand: the sessions buffer).
function M.run(fargs, bang)
  local name = fargs[1] or 'status'
  local sub = M.subcommands[name]
  if not sub then
    return ui.notify(string.format('unknown subcommand %q; expected one of: %s', name, table.concat(M.names(), ', ')), levels.ERROR)
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local ctx = { bufnr = bufnr, args = vim.list_slice(fargs, 2), bang = bang }
  if sub.needs_client == false then
    local repo = git.repository(vim.api.nvim_buf_get_name(bufnr)) or git.repository(vim.fn.getcwd())
    ctx.client = repo and client_mod.for_common_dir(repo.common_dir) or nil
    return sub.run(ctx)
  end
  local client, err = require('agentls.view').client_for(bufnr) or require('agentls.review').client_for(bufnr)
  if not client then
    client, err = client_mod.resolve(bufnr)
  end
  if not client then
    return ui.notify(err, levels.ERROR)
  end
  ctx.client = client
  sub.run(ctx)
end

return M
