-- The :AgentLS subcommands. Each calls one `agentls.*` server command; the
-- server does the work (through agentls.lifecycle) and answers JSON.
local M = {}

local client_mod = require('agentls.client')
local git = require('agentls.git')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

local levels = vim.log.levels

--- Fetches the report now and stores it; returns the answer or nil, error.
local function load_state(client, command)
  local err, answer = client_mod.execute_sync(client, command or 'agentls.sessions', {}, 30000)
  if not err and (type(answer) ~= 'table' or type(answer.report) ~= 'table') then
    -- Just started: the server is still attaching to the engine. Its first report
    -- arrives as agentls/sessionsChanged; wait for that, then ask again.
    vim.wait(15000, function()
      local state = sessions.get(client.id)
      return state ~= nil and #state.sessions > 0
    end, 50)
    err, answer = client_mod.execute_sync(client, command or 'agentls.sessions', {}, 30000)
  end
  if err then
    return nil, ui.describe_error(err)
  end
  if type(answer) ~= 'table' or type(answer.report) ~= 'table' then
    local why = type(answer) == 'table' and answer.error or nil
    return nil, 'the server has no report for this repository' .. (why and (': ' .. why) or ' yet')
  end
  sessions.update_from_report(client.id, answer)
  return answer
end

--- The session the command is about when none is named: the one holding the
--- current buffer's file, else the server's own ("self").
local function known(client)
  local state = sessions.get(client.id)
  return state ~= nil and #state.sessions > 0
end

local function current_session(ctx)
  -- Right after start the server may have reported no sessions yet: ask it.
  if not known(ctx.client) then
    local _, err = load_state(ctx.client)
    if err then
      return nil, err
    end
  end
  local session = sessions.session_of(ctx.client.id, vim.api.nvim_buf_get_name(ctx.bufnr))
  if session then
    return session.name
  end
  local state = sessions.get(ctx.client.id)
  if state and state.self then
    return state.self
  end
  return nil, 'the current buffer is not in a session; name one'
end

local function find_session(client, name)
  local state = sessions.get(client.id)
  for _, session in ipairs(state and state.sessions or {}) do
    if session.name == name then
      return session
    end
  end
  return nil
end

--- Runs a server command and reports failure; `on_ok(result)` handles success.
local function call(ctx, command, argument, on_ok, on_progress)
  client_mod.execute(ctx.client, command, argument, function(err, result)
    if err then
      ui.notify(ui.describe_error(err), levels.ERROR)
      return
    end
    if type(result) == 'table' and result.ok == false then
      ui.notify(result.message or (command .. ' was refused'), levels.ERROR)
      return
    end
    on_ok(result or {})
  end, on_progress)
end

--- Asks for a value with vim.ui.input unless `value` is given; ignores empty answers.
local function ask(value, prompt, default, next_step)
  if value and value ~= '' then
    return next_step(value)
  end
  vim.ui.input({ prompt = prompt, default = default }, function(answer)
    if answer and vim.trim(answer) ~= '' then
      next_step(vim.trim(answer))
    end
  end)
end

--- Picks a session with vim.ui.select unless `value` is given.
local function pick_session(ctx, value, prompt, filter, next_step)
  if value and value ~= '' then
    return next_step(value)
  end
  if not known(ctx.client) then
    local _, err = load_state(ctx.client)
    if err then
      return ui.notify(err, levels.ERROR)
    end
  end
  local choices = {}
  for _, session in ipairs(sessions.get(ctx.client.id).sessions) do
    if not filter or filter(session) then
      table.insert(choices, session)
    end
  end
  if #choices == 0 then
    return ui.notify('no session to choose from', levels.WARN)
  end
  vim.ui.select(choices, {
    prompt = prompt,
    format_item = function(session)
      local branch = session.branch ~= vim.NIL and session.branch or 'detached'
      return string.format('%s (%s)', session.name, branch)
    end,
  }, function(choice)
    if choice then
      next_step(choice.name)
    end
  end)
end

local function is_trunk(session)
  return session.is_trunk == true
end

local function plural(n, word)
  return string.format('%d %s%s', n, word, n == 1 and '' or 's')
end

--- Status lines for a stored state.
function M.status_lines(state, trunk)
  local lines = {}
  if trunk then
    table.insert(lines, string.format('trunk %s at %s', trunk.branch, (trunk.commit or ''):sub(1, 8)))
  end
  for _, session in ipairs(state.sessions) do
    local branch = session.branch ~= vim.NIL and session.branch or 'detached'
    local marks = {}
    if session.dirty then
      table.insert(marks, 'dirty')
    end
    if session.role == 'research' then
      table.insert(marks, 'research')
    end
    table.insert(
      lines,
      string.format(
        '%s %s (%s) +%d -%d, %s changed, %s%s',
        session.name == state.self and '*' or ' ',
        session.name,
        branch,
        session.ahead or 0,
        session.behind or 0,
        tostring(session.changed or 0),
        plural(session.collisions or 0, 'collision'),
        #marks > 0 and (', ' .. table.concat(marks, ', ')) or ''
      )
    )
  end
  if state.total == 0 then
    table.insert(lines, 'no collisions')
  end
  return lines
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
      local other = names[index == 1 and 2 or 1] or '?'
      local detail = (overlap.detail and #overlap.detail > 0) and (' [' .. table.concat(overlap.detail, ', ') .. ']')
        or ''
      local ranges = (overlap.ranges or {})[name]
      if not ranges or #ranges == 0 then
        ranges = { { 1, 1 } }
      end
      for _, range in ipairs(ranges) do
        table.insert(items, {
          filename = (paths[name] or '.') .. '/' .. overlap.path,
          lnum = range[1],
          end_lnum = range[2],
          col = 1,
          type = overlap.kind == 'conflict' and 'E' or 'W',
          text = string.format('%s: %s vs %s (lines %d-%d)%s', overlap.kind, name, other, range[1], range[2], detail),
        })
      end
    end
  end
  return items
end

local function show_land_result(result)
  if result.ok then
    local trunk = result.trunk or {}
    ui.notify(
      string.format(
        'landed %s: %s%s',
        result.session or '?',
        result.message or 'done',
        trunk.new and string.format(' (trunk now %s)', tostring(trunk.new):sub(1, 8)) or ''
      )
    )
    return
  end
  ui.notify(string.format('land %s failed: %s', result.session or '?', result.message or ''), levels.ERROR)
  local lines = { 'land ' .. tostring(result.session) .. ': ' .. tostring(result.message), '' }
  for _, step in ipairs(result.steps or {}) do
    table.insert(lines, type(step) == 'table' and vim.fn.json_encode(step) or tostring(step))
  end
  if result.output and result.output ~= vim.NIL then
    table.insert(lines, '')
    vim.list_extend(lines, ui.lines(result.output))
  end
  ui.scratch('land-output', lines)
end

local function progress_reporter(what)
  if not require('agentls.config').options.progress then
    return nil
  end
  return function(value)
    local text = value.message or value.title
    if text and text ~= '' then
      local percent = value.percentage and string.format(' (%d%%)', value.percentage) or ''
      ui.notify(string.format('%s: %s%s', what, text, percent))
    end
  end
end

M.subcommands = {}

M.subcommands.status = {
  run = function(ctx)
    local answer, err = load_state(ctx.client)
    if not answer then
      return ui.notify(err, levels.ERROR)
    end
    local report = answer.report or {}
    ui.notify(table.concat(M.status_lines(sessions.get(ctx.client.id), report.trunk), '\n'))
  end,
}

M.subcommands.refresh = {
  run = function(ctx)
    local answer, err = load_state(ctx.client, 'agentls.refresh')
    if not answer then
      return ui.notify(err, levels.ERROR)
    end
    ui.notify(string.format('refreshed: %s', plural(sessions.get(ctx.client.id).total, 'collision')))
  end,
}

M.subcommands.overlaps = {
  run = function(ctx)
    local answer, err = load_state(ctx.client)
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
    ask(ctx.args[1], 'New session name: ', nil, function(name)
      local argument = { name = name }
      if ctx.args[2] then
        argument.branch = ctx.args[2]
      end
      call(ctx, 'agentls.session.new', argument, function(result)
        local session = result.session or {}
        ui.notify(string.format('created session %s at %s', session.name or name, session.path or '?'))
      end)
    end)
  end,
}

M.subcommands.fork = {
  run = function(ctx)
    local source = current_session(ctx)
    ask(ctx.args[1], 'Name of the research fork: ', nil, function(name)
      call(ctx, 'agentls.session.fork', { name = name, from = source }, function(result)
        local session = result.session or {}
        ui.notify(string.format('forked %s at %s', session.name or name, session.path or '?'))
      end)
    end)
  end,
}

M.subcommands.rename = {
  complete = 'session',
  run = function(ctx)
    local old, new = ctx.args[1], ctx.args[2]
    if old and not new then
      -- One name: rename the current session to it.
      local current, err = current_session(ctx)
      if not current then
        return ui.notify(err, levels.ERROR)
      end
      old, new = current, ctx.args[1]
    end
    local default = old or current_session(ctx)
    local function with_session(session)
      ask(new, string.format('Rename %s to: ', session), session, function(name)
        call(ctx, 'agentls.session.rename', { session = session, name = name }, function(result)
          ui.notify(string.format('renamed %s to %s', result.old or session, result.name or name))
        end)
      end)
    end
    if old then
      with_session(old)
    else
      pick_session(ctx, nil, 'Rename which session? (current: ' .. tostring(default) .. ')', nil, with_session)
    end
  end,
}

M.subcommands.claim = {
  run = function(ctx)
    local session, err = current_session(ctx)
    if not session then
      return ui.notify(err, levels.ERROR)
    end
    local globs = #ctx.args > 0 and table.concat(ctx.args, ' ') or nil
    ask(globs, string.format('Globs for %s to claim: ', session), nil, function(text)
      local list = vim.split(text, '%s+', { trimempty = true })
      call(ctx, 'agentls.session.claim', { session = session, globs = list, force = ctx.bang }, function()
        ui.notify(string.format('%s claims %s', session, table.concat(list, ' ')))
      end)
    end)
  end,
}

M.subcommands.release = {
  run = function(ctx)
    local session, err = current_session(ctx)
    if not session then
      return ui.notify(err, levels.ERROR)
    end
    local argument = { session = session }
    if #ctx.args > 0 then
      argument.globs = ctx.args
    end
    call(ctx, 'agentls.session.release', argument, function()
      ui.notify(string.format('%s released %s', session, #ctx.args > 0 and table.concat(ctx.args, ' ') or 'all claims'))
    end)
  end,
}

M.subcommands.priority = {
  complete = 'session',
  run = function(ctx)
    local session, value = ctx.args[1], ctx.args[2]
    if session and not value then
      session, value = nil, session
    end
    if not session then
      local err
      session, err = current_session(ctx)
      if not session then
        return ui.notify(err, levels.ERROR)
      end
    end
    ask(value, string.format('Priority of %s: ', session), nil, function(text)
      local number = tonumber(text)
      if not number or number ~= math.floor(number) then
        return ui.notify(string.format('priority must be a whole number, got %q', text), levels.ERROR)
      end
      call(ctx, 'agentls.session.priority', { session = session, priority = number }, function()
        ui.notify(string.format('%s has priority %d', session, number))
      end)
    end)
  end,
}

M.subcommands.handoff = {
  complete = 'session',
  run = function(ctx)
    local session = ctx.args[1]
    if not session then
      local err
      session, err = current_session(ctx)
      if not session then
        return ui.notify(err, levels.ERROR)
      end
    end
    call(ctx, 'agentls.session.handoff', { session = session }, function(result)
      ui.notify(string.format('wrote %s', result.path or 'HANDOFF.md'))
      if result.path then
        vim.cmd('split ' .. vim.fn.fnameescape(result.path))
      end
    end)
  end,
}

M.subcommands.land = {
  complete = 'session',
  run = function(ctx)
    local session = ctx.args[1]
    if not session then
      local current = current_session(ctx)
      local info = current and find_session(ctx.client, current)
      if info and not is_trunk(info) then
        session = current
      end
    end
    pick_session(ctx, session, 'Land which session?', function(s)
      return not is_trunk(s)
    end, function(name)
      ui.notify(string.format('landing %s...', name))
      -- Not call(): a refused land (ok = false) still has steps and output to show.
      client_mod.execute(ctx.client, 'agentls.session.land', { session = name }, function(err, result)
        if err then
          return ui.notify(ui.describe_error(err), levels.ERROR)
        end
        result = type(result) == 'table' and result or {}
        result.session = result.session or name
        show_land_result(result)
      end, progress_reporter('land ' .. name))
    end)
  end,
}

M.subcommands['land-all'] = {
  run = function(ctx)
    ui.notify('landing all sessions...')
    client_mod.execute(ctx.client, 'agentls.session.landAll', {}, function(err, result)
      if err then
        return ui.notify(ui.describe_error(err), levels.ERROR)
      end
      local lines, failed = {}, false
      for _, item in ipairs((result or {}).results or {}) do
        failed = failed or not item.ok
        table.insert(lines, string.format('%s %s: %s', item.ok and 'landed' or 'FAILED', item.session, item.message or ''))
      end
      if #lines == 0 then
        table.insert(lines, 'nothing to land')
      end
      ui.notify(table.concat(lines, '\n'), failed and levels.ERROR or levels.INFO)
    end, progress_reporter('land-all'))
  end,
}

--- Subcommand names, sorted.
function M.names()
  local names = vim.tbl_keys(M.subcommands)
  table.sort(names)
  return names
end

--- Completion for `:AgentLS <args>`: subcommands, then session names.
function M.complete(arglead, cmdline)
  local words = vim.split(cmdline, '%s+', { trimempty = true })
  local completing_first = #words <= 1 or (#words == 2 and arglead ~= '')
  local candidates
  if completing_first then
    candidates = M.names()
  else
    local sub = M.subcommands[words[2]]
    if not sub or sub.complete ~= 'session' then
      return {}
    end
    local repo = git.repository(vim.api.nvim_buf_get_name(0)) or git.repository(vim.fn.getcwd())
    local client = repo and client_mod.for_common_dir(repo.common_dir)
    candidates = client and sessions.names(client.id) or {}
  end
  return vim.tbl_filter(function(name)
    return vim.startswith(name, arglead)
  end, candidates)
end

--- Runs `:AgentLS[!] {subcommand} {args}`.
function M.run(fargs, bang)
  local name = fargs[1]
  if not name then
    name = 'status'
  end
  local sub = M.subcommands[name]
  if not sub then
    return ui.notify(
      string.format('unknown subcommand %q; expected one of: %s', name, table.concat(M.names(), ', ')),
      levels.ERROR
    )
  end
  local bufnr = vim.api.nvim_get_current_buf()
  local client, err = client_mod.resolve(bufnr)
  if not client then
    return ui.notify(err, levels.ERROR)
  end
  sub.run({ client = client, bufnr = bufnr, args = vim.list_slice(fargs, 2), bang = bang })
end

return M
