-- The lifecycle verbs as the user meets them: which session a verb is about,
-- what is asked first, how the answer is shown. `:AgentLS`, the sessions buffer,
-- the <Plug> mappings and the code actions all come here; each verb calls one
-- `agentls.session.*` server command, which does the work.
local M = {}

local client_mod = require('agentls.client')
local config = require('agentls.config')
local git = require('agentls.git')
local refusals = require('agentls.refusals')
local sessions = require('agentls.sessions')
local ui = require('agentls.ui')

local levels = vim.log.levels

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

local function plural(n, word)
  return string.format('%d %s%s', n, word, n == 1 and '' or 's')
end
M.plural = plural

local function short(commit)
  return present(commit) and tostring(commit):sub(1, 8) or '?'
end

--- Fetches the full report now and stores it; returns the answer or nil, error.
function M.load(ctx)
  local client = ctx.client
  local err, answer = client_mod.execute_sync(client, 'agentls.sessions', {}, 15000)
  if not err and (type(answer) ~= 'table' or type(answer.report) ~= 'table') then
    -- Just started: the server is still attaching to the engine. Its first report
    -- arrives as agentls/sessionsChanged; wait for that, then ask again.
    vim.wait(15000, function()
      local state = sessions.get(client.id)
      return state ~= nil and #state.sessions > 0
    end, 50)
    err, answer = client_mod.execute_sync(client, 'agentls.sessions', {}, 15000)
  end
  if err then
    return nil, (ui.describe_error(err))
  end
  if type(answer) ~= 'table' or type(answer.report) ~= 'table' then
    local why = type(answer) == 'table' and answer.error or nil
    return nil, 'the server has no report for this repository' .. (why and (': ' .. why) or ' yet')
  end
  sessions.update_from_report(client.id, answer)
  return answer
end

--- The stored state with a full report in it (claims, collisions), loading it when missing.
local function state_of(ctx)
  local state = sessions.get(ctx.client.id)
  if not state or not state.report then
    local _, err = M.load(ctx)
    if err then
      return nil, err
    end
    state = sessions.get(ctx.client.id)
  end
  return state
end

--- The session holding the context's buffer, else the server's own; its name or nil, why.
function M.current(ctx)
  local state, err = state_of(ctx)
  if not state then
    return nil, err
  end
  local name = ctx.bufnr and vim.api.nvim_buf_is_valid(ctx.bufnr) and vim.api.nvim_buf_get_name(ctx.bufnr) or ''
  if name == '' or name:match('^agentls://') then
    name = vim.fn.getcwd()
  end
  local session = sessions.session_of(ctx.client.id, name)
  if session then
    return session.name
  end
  if state.self then
    return state.self
  end
  return nil, 'the current buffer is not in a session; name one'
end

-- Which sessions a verb applies to (pickers and completion offer only these).
local function is_trunk(s)
  return s.is_trunk == true
end
M.applies = {
  land = function(s)
    return not is_trunk(s) and s.role ~= 'research' and s.landed ~= true and s.missing ~= true and (s.ahead or 0) > 0
  end,
  rename = function(s)
    return not is_trunk(s)
  end,
  remove = function(s)
    return not is_trunk(s)
  end,
  handoff = function(s)
    return not is_trunk(s) and s.missing ~= true
  end,
  claim = function(s)
    return not is_trunk(s)
  end,
  release = function(s)
    return not is_trunk(s) and (s.claims == nil or (type(s.claims) == 'table' and #s.claims > 0))
  end,
  priority = function(s)
    return not is_trunk(s)
  end,
  fork = function(s)
    return s.missing ~= true
  end,
  restore = function(s)
    return not is_trunk(s) and present(s.branch) and s.missing ~= true
  end,
  open = function(s)
    return s.missing ~= true
  end,
  review = function(s)
    return not is_trunk(s) and s.role ~= 'research' and s.missing ~= true
  end,
}

--- Sessions a verb applies to, from the stored state.
function M.candidates(client_id, verb)
  local state = sessions.get(client_id)
  local found = {}
  for _, session in ipairs(state and state.sessions or {}) do
    if not M.applies[verb] or M.applies[verb](session) then
      table.insert(found, session)
    end
  end
  return found
end

local function describe_session(session)
  local parts = { session.name }
  local branch = present(session.branch) and session.branch or 'detached'
  table.insert(parts, string.format('(%s)', branch))
  if session.role == 'research' then
    table.insert(parts, 'research')
  end
  if (session.ahead or 0) > 0 then
    table.insert(parts, string.format('+%d', session.ahead))
  end
  return table.concat(parts, ' ')
end
M.describe_session = describe_session

--- Calls `next_step(name)` with the named session, else the current one when the
--- verb applies to it, else one picked from the sessions it applies to.
function M.target(ctx, verb, name, prompt, next_step, opts)
  opts = opts or {}
  -- Also with a name: right after start the server may not be attached to the
  -- engine yet; its first report says it is.
  local _, err = state_of(ctx)
  if err then
    return ui.notify(err, levels.ERROR)
  end
  if present(name) then
    return next_step(name)
  end
  if not opts.always_pick then
    local current = M.current(ctx)
    local info = current and sessions.find(ctx.client.id, current)
    if info and (not M.applies[verb] or M.applies[verb](info)) then
      return next_step(current)
    end
  end
  local choices = M.candidates(ctx.client.id, verb)
  if #choices == 0 then
    return ui.notify(string.format('no session to %s', verb), levels.WARN)
  end
  vim.ui.select(choices, { prompt = prompt, format_item = describe_session }, function(choice)
    if choice then
      next_step(choice.name)
    end
  end)
end

--- Asks for a value with vim.ui.input unless `value` is given; ignores empty answers.
local function ask(value, prompt, default, next_step, completion)
  if present(value) then
    return next_step(value)
  end
  vim.ui.input({ prompt = prompt, default = default, completion = completion }, function(answer)
    if answer and vim.trim(answer) ~= '' then
      next_step(vim.trim(answer))
    end
  end)
end

--- Tells the user why a command did not happen: refusals (a stable code, or
--- JSON-RPC -32001) as warnings worded from the code, failures as errors.
function M.fail(err, prefix)
  local text, code = ui.describe_error(err)
  local refused = code ~= nil or (type(err) == 'table' and err.code == -32001)
  ui.notify((prefix and (prefix .. ': ') or '') .. text, refused and levels.WARN or levels.ERROR)
  return text, code
end

--- Runs a server command; `on_ok(result)` on success, `on_refused(err, code)`
--- (default: tell the user) otherwise.
function M.call(ctx, command, argument, on_ok, on_refused)
  local _, err = state_of(ctx) -- the server is attached once it has reported
  if err then
    return ui.notify(err, levels.ERROR)
  end
  client_mod.execute(ctx.client, command, argument, function(err, result)
    if not err and type(result) == 'table' and result.ok == false then
      err = result
    end
    if err then
      if on_refused then
        return on_refused(err, refusals.code(err))
      end
      return M.fail(err)
    end
    on_ok(type(result) == 'table' and result or {})
  end)
end

-- --- worktrees ---------------------------------------------------------------------

--- Opens a worktree folder: `how` is "tab" (a new tab whose directory it is) or
--- "tcd" (this tab's directory).
function M.open_worktree(path, how)
  if not present(path) then
    return ui.notify('the session has no folder', levels.WARN)
  end
  if vim.fn.isdirectory(path) ~= 1 then
    return ui.notify(string.format('%s is gone', path), levels.WARN)
  end
  if how == 'tab' then
    vim.cmd('tabnew')
  end
  vim.cmd('tcd ' .. vim.fn.fnameescape(path))
  if how == 'tab' then
    vim.cmd('edit ' .. vim.fn.fnameescape(path))
  end
end

--- After `new`/`fork`/bring back: offers to open the new worktree (option `open_new`).
function M.offer_open(path)
  local choice = config.options.open_new
  if choice == 'tab' or choice == 'tcd' then
    return M.open_worktree(path, choice)
  end
  if choice ~= 'ask' then
    return
  end
  ui.choose(string.format('Open %s?', path), { 'In a new tab (:tcd there)', 'In this tab (:tcd)', 'Not now' }, function(index)
    if index == 1 then
      M.open_worktree(path, 'tab')
    elseif index == 2 then
      M.open_worktree(path, 'tcd')
    end
  end)
end

--- The worktree of a session, opened `how` ("tab" or "tcd").
function M.open(ctx, name, how)
  M.target(ctx, 'open', name, 'Open which worktree?', function(session)
    local info = sessions.find(ctx.client.id, session)
    if info and type(info.remote) == 'table' then
      return ui.notify(string.format('%s lives on another machine (%s on %s): no worktree to open here', session, tostring(info.remote.branch), tostring(info.remote.remote)), levels.WARN)
    end
    M.open_worktree(info and info.path, how)
  end)
end

-- --- creating ----------------------------------------------------------------------

function M.new(ctx, name, branch)
  ask(name, 'New session name: ', nil, function(value)
    local argument = { name = value }
    if present(branch) then
      argument.branch = branch
    end
    ui.notify(string.format('creating session %s...', value))
    M.call(ctx, 'agentls.session.new', argument, function(result)
      local session = result.session or {}
      ui.notify(string.format('created session %s at %s', session.name or value, session.path or '?'))
      M.offer_open(session.path)
    end)
  end)
end

function M.fork(ctx, name, source)
  source = present(source) and source or M.current(ctx)
  ask(name, 'Name of the research fork: ', nil, function(value)
    ui.notify(string.format('forking %s as %s...', tostring(source), value))
    M.call(ctx, 'agentls.session.fork', { name = value, from = source }, function(result)
      local session = result.session or {}
      ui.notify(string.format('forked %s as research session %s at %s', tostring(source), session.name or value, session.path or '?'))
      M.offer_open(session.path)
    end)
  end)
end

-- --- naming and order ----------------------------------------------------------------

function M.rename(ctx, name, new_name)
  M.target(ctx, 'rename', name, 'Rename which session?', function(session)
    ask(new_name, string.format('Rename %s to: ', session), session, function(value)
      M.call(ctx, 'agentls.session.rename', { session = session, name = value }, function(result)
        ui.notify(string.format('renamed %s to %s', result.old or session, result.name or value))
      end)
    end)
  end)
end

function M.priority(ctx, name, value)
  M.target(ctx, 'priority', name, 'Priority of which session?', function(session)
    local info = sessions.find(ctx.client.id, session)
    ask(value, string.format('Priority of %s: ', session), info and info.priority and tostring(info.priority) or nil, function(text)
      local number = tonumber(text)
      if not number or number ~= math.floor(number) then
        return ui.notify(string.format('priority must be a whole number, got %q', text), levels.WARN)
      end
      M.call(ctx, 'agentls.session.priority', { session = session, priority = number }, function()
        ui.notify(string.format('%s has priority %d', session, number))
      end)
    end)
  end)
end

-- --- claims ----------------------------------------------------------------------------

--- Claims changed: read the report again, so completion and the sessions buffer
--- know them even when the server's notification does not carry claims.
local function claims_changed(ctx, message)
  M.load(ctx)
  ui.notify(message)
end

--- Takes GLOBS for SESSION from the sessions that claim them: claims them
--- shared, then releases the other sessions' overlapping claims (`clashes` from
--- the claim-taken refusal), and says exactly what was released.
local function take(ctx, session, globs, clashes)
  M.call(ctx, 'agentls.session.claim', { session = session, globs = globs, force = true }, function()
    local by_owner, order = {}, {}
    for _, clash in ipairs(clashes) do
      if present(clash.owner) and clash.owner ~= session and present(clash.theirs) then
        if not by_owner[clash.owner] then
          by_owner[clash.owner] = {}
          table.insert(order, clash.owner)
        end
        if not vim.tbl_contains(by_owner[clash.owner], clash.theirs) then
          table.insert(by_owner[clash.owner], clash.theirs)
        end
      end
    end
    if #order == 0 then
      return claims_changed(ctx, string.format('%s claims %s, shared with the session whose claim overlaps it', session, table.concat(globs, ' ')))
    end
    local released, remaining = {}, #order
    for _, owner in ipairs(order) do
      M.call(ctx, 'agentls.session.release', { session = owner, globs = by_owner[owner] }, function()
        table.insert(released, string.format("%s's %s", owner, table.concat(by_owner[owner], ', ')))
        remaining = remaining - 1
        if remaining == 0 then
          table.sort(released)
          claims_changed(ctx, string.format('%s took %s (released %s)', session, table.concat(globs, ' '), table.concat(released, '; ')))
        end
      end)
    end
  end)
end

--- Claims GLOBS for SESSION. `mode` "take" (`:AgentLS! claim`) takes them from
--- another session that holds them; "ask" (a code action) asks whether to take
--- or share; otherwise a claim held elsewhere is refused, saying how to take it.
function M.claim_globs(ctx, session, globs, mode)
  M.call(ctx, 'agentls.session.claim', { session = session, globs = globs }, function()
    claims_changed(ctx, string.format('%s claims %s', session, table.concat(globs, ' ')))
  end, function(err, code)
    if mode == nil then
      return M.fail(err)
    end
    local object = refusals.error_object(err) or {}
    local data = type(object.data) == 'table' and object.data or {}
    local clashes = code == 'claim-taken' and type(data.clashes) == 'table' and data.clashes or nil
    if not clashes then
      -- A server that does not say who holds which claim: the same globs held by
      -- other sessions are the clashes the plugin can know without judging globs.
      M.load(ctx)
      clashes = {}
      for _, other in ipairs((sessions.get(ctx.client.id) or {}).sessions or {}) do
        for _, glob in ipairs(type(other.claims) == 'table' and other.claims or {}) do
          if other.name ~= session and vim.tbl_contains(globs, glob) then
            table.insert(clashes, { glob = glob, owner = other.name, theirs = glob })
          end
        end
      end
      if #clashes == 0 and code ~= 'claim-taken' then
        return M.fail(err) -- refused for another reason
      end
    end
    if mode == 'take' then
      return take(ctx, session, globs, clashes)
    end
    local owners = {}
    for _, clash in ipairs(clashes) do
      if not vim.tbl_contains(owners, clash.owner) then
        table.insert(owners, clash.owner)
      end
    end
    ui.choose(
      (refusals.describe(err)),
      { 'Take it from ' .. table.concat(owners, ', '), 'Share it', 'Cancel' },
      function(index)
        if index == 1 then
          take(ctx, session, globs, clashes)
        elseif index == 2 then
          M.call(ctx, 'agentls.session.claim', { session = session, globs = globs, force = true }, function()
            claims_changed(ctx, string.format('%s shares %s with %s', session, table.concat(globs, ' '), table.concat(owners, ', ')))
          end)
        end
      end
    )
  end)
end

function M.claim(ctx, name, globs, force)
  M.target(ctx, 'claim', name, 'Claim for which session?', function(session)
    local text = type(globs) == 'table' and #globs > 0 and table.concat(globs, ' ') or nil
    ask(text, string.format('Globs for %s to claim: ', session), nil, function(value)
      local list = vim.split(value, '%s+', { trimempty = true })
      M.claim_globs(ctx, session, list, force and 'take' or nil)
    end, "customlist,v:lua.require'agentls.commands'.complete_claim_input")
  end)
end

function M.release(ctx, name, globs)
  M.target(ctx, 'release', name, 'Release the claims of which session?', function(session)
    if type(globs) == 'table' and #globs > 0 then
      return M.call(ctx, 'agentls.session.release', { session = session, globs = globs }, function(result)
        claims_changed(ctx, string.format('%s released %s', session, table.concat(globs, ' ')) .. (result.claims and (#result.claims > 0 and ('; still claims ' .. table.concat(result.claims, ' ')) or '; it claims nothing now') or ''))
      end)
    end
    local info = sessions.find(ctx.client.id, session)
    local claims = info and type(info.claims) == 'table' and info.claims or nil
    if claims and #claims == 0 then
      return ui.notify(string.format('%s claims nothing', session))
    end
    local what = claims and table.concat(claims, ', ') or 'all of them'
    ui.confirm(string.format('Release every claim of %s (%s)?', session, what), 'Release all', function()
      M.call(ctx, 'agentls.session.release', { session = session }, function()
        claims_changed(ctx, string.format('%s released all claims (%s)', session, what))
      end)
    end)
  end)
end

-- --- notes -------------------------------------------------------------------------------

function M.handoff(ctx, name)
  M.target(ctx, 'handoff', name, 'Write the handoff note of which session?', function(session)
    M.call(ctx, 'agentls.session.handoff', { session = session }, function(result)
      ui.notify(string.format('%s %s', result.changed == false and 'unchanged:' or 'wrote', result.path or 'HANDOFF.md'))
      if present(result.path) then
        vim.cmd('split ' .. vim.fn.fnameescape(result.path))
      end
    end)
  end)
end

-- --- landing -----------------------------------------------------------------------------

local function show_land_result(session, result)
  result = type(result) == 'table' and result or {}
  if result.ok then
    local trunk = type(result.trunk) == 'table' and result.trunk or {}
    local message = present(result.message) and tostring(result.message) or nil
    if message and message:find('landed', 1, true) then
      return ui.notify(message) -- the server's sentence says it all ("landed api: main is now ...")
    end
    ui.notify(string.format('landed %s: %s', session, message or 'done') .. (present(trunk.new) and string.format(' (trunk now %s)', short(trunk.new)) or ''))
    return
  end
  local text = refusals.describe(result.error and result or { message = result.message })
  ui.notify(string.format('land %s failed: %s', session, text), levels.ERROR)
  local lines = { string.format('land %s: %s', session, text), '' }
  for _, step in ipairs(result.steps or {}) do
    table.insert(lines, type(step) == 'table' and vim.fn.json_encode(step) or tostring(step))
  end
  if present(result.output) then
    table.insert(lines, '')
    vim.list_extend(lines, ui.lines(result.output))
  end
  ui.scratch('land-output', lines)
end

--- Tells how a land ended (also after a review's approve-and-land).
M.show_land_result = show_land_result

--- Lands a session. `confirm`: ask first, showing the dry run's plan.
function M.land(ctx, name, confirm)
  M.target(ctx, 'land', name, 'Land which session?', function(session)
    local function go()
      ui.notify(string.format('landing %s...', session))
      client_mod.execute(ctx.client, 'agentls.session.land', { session = session }, function(err, result)
        if err then
          return M.fail(err, 'land ' .. session)
        end
        show_land_result(session, result)
      end)
    end
    if not confirm then
      return go()
    end
    M.call(ctx, 'agentls.session.land', { session = session, dryRun = true }, function(plan)
      local text = present(plan.message) and tostring(plan.message) or ('land ' .. session)
      ui.confirm(string.format('Land %s? %s', session, text:gsub('\n', '; ')), 'Land', go)
    end)
  end)
end

function M.land_all(ctx)
  local _, problem = state_of(ctx)
  if problem then
    return ui.notify(problem, levels.ERROR)
  end
  ui.notify('landing all sessions...')
  client_mod.execute(ctx.client, 'agentls.session.landAll', {}, function(err, result)
    if err then
      return M.fail(err, 'land-all')
    end
    local lines, failed = {}, false
    for _, item in ipairs((result or {}).results or {}) do
      local message = present(item.message) and tostring(item.message) or ''
      if item.ok then
        table.insert(lines, string.format('landed %s%s', item.session, message ~= '' and (': ' .. message) or ''))
      elseif item.skipped then
        table.insert(lines, string.format('skipped %s: %s', item.session, message))
      else
        failed = true
        table.insert(lines, string.format('not landed %s: %s', item.session, (refusals.describe(item.error and item or { message = message }))))
      end
    end
    if #lines == 0 then
      table.insert(lines, 'nothing to land')
    end
    ui.notify(table.concat(lines, '\n'), failed and levels.WARN or levels.INFO)
  end)
end

-- --- removing and bringing back -----------------------------------------------------------

local NOT_FORCEABLE = {
  ['primary-checkout'] = true,
  ['on-trunk'] = true,
  ['landing-now'] = true,
  ['session-not-found'] = true,
  ['session-removed'] = true,
  ['invalid-name'] = true,
}

function M.remove(ctx, name, force)
  M.target(ctx, 'remove', name, 'Remove which session?', function(session)
    local info = sessions.find(ctx.client.id, session) or {}
    local function go(with_force)
      M.call(ctx, 'agentls.session.remove', { session = session, force = with_force or nil }, function(result)
        ui.notify(
          string.format('removed session %s (%s)', result.session or session, result.path or info.path or '?')
            .. (present(result.backup) and ('; its work is kept at ' .. result.backup) or '')
        )
      end, function(err, code)
        -- Force helps with unlanded or uncommitted work, not with these.
        if with_force or NOT_FORCEABLE[code] then
          return M.fail(err)
        end
        ui.confirm((refusals.describe(err)) .. '. Remove it anyway?', 'Remove anyway (a backup ref keeps the work)', function()
          go(true)
        end)
      end)
    end
    local where = present(info.path) and (' Its worktree ' .. info.path) or ' Its worktree'
    local branch = present(info.branch) and (' and branch ' .. info.branch) or ''
    ui.confirm(
      string.format('Remove session %s?%s%s are deleted; a backup ref keeps its work.', session, where, branch),
      force and 'Remove (even with unlanded work)' or 'Remove',
      function()
        go(force)
      end
    )
  end)
end

--- Brings a removed session back whole from a backup ref (a new session).
local function bring_back(ctx, name, ref)
  ui.confirm(string.format('Bring back removed session %s from %s?', name, ref), 'Bring it back', function()
    M.call(ctx, 'agentls.session.new', { name = name, from = ref }, function(result)
      local session = result.session or {}
      ui.notify(string.format('brought back %s at %s (from %s)', session.name or name, session.path or '?', ref))
      M.offer_open(session.path)
    end)
  end)
end

--- Names of removed sessions (backups but no session) and sessions with backups.
function M.restorable(ctx)
  local repo_dir = ctx.client.config and ctx.client.config.root_dir
  local backups = git.backups(repo_dir)
  local live, removed = {}, {}
  for name, refs in pairs(backups) do
    local info = sessions.find(ctx.client.id, name)
    if info then
      if M.applies.restore(info) then
        table.insert(live, { name = name, refs = refs, session = info })
      end
    else
      table.insert(removed, { name = name, refs = refs })
    end
  end
  local by_name = function(a, b)
    return a.name < b.name
  end
  table.sort(live, by_name)
  table.sort(removed, by_name)
  return live, removed, backups
end

--- Restores a session's branch to a backup (default: its latest), or brings a
--- removed session back from its latest backup.
function M.restore(ctx, name, backup)
  local _, err = state_of(ctx)
  if err then
    return ui.notify(err, levels.ERROR)
  end
  local live, removed, backups = M.restorable(ctx)
  local function restore_live(session)
    local refs = backups[session] or {}
    local ref = present(backup) and backup or (refs[#refs] and refs[#refs].ref)
    local label = ref and (ref:match('([^/]+)$') or ref) or 'its latest backup'
    ui.confirm(
      string.format("Put %s's branch back to backup %s? Its current head is kept as a backup.", session, label),
      'Restore',
      function()
        M.call(ctx, 'agentls.session.restore', { session = session, backup = present(backup) and backup or nil }, function(result)
          ui.notify(
            string.format('%s is back at %s (%s)', result.branch or session, short(result.new), tostring(result.backup or ref))
              .. (result.uncommitted and '; its uncommitted files are back as changes' or '')
              .. (present(result.saved) and ('; the previous head is kept at ' .. result.saved) or '')
          )
        end, function(refused, code)
          local object = refusals.error_object(refused) or {}
          if code == 'session-removed' and type(object.data) == 'table' and present(object.data.backup) then
            return bring_back(ctx, session, object.data.backup)
          end
          M.fail(refused)
        end)
      end
    )
  end
  local function choose_name(value)
    if sessions.find(ctx.client.id, value) then
      return restore_live(value)
    end
    local refs = backups[value]
    if refs and #refs > 0 then
      return bring_back(ctx, value, present(backup) and backup or refs[#refs].ref)
    end
    restore_live(value) -- the server says why not
  end
  if present(name) then
    return choose_name(name)
  end
  local items = {}
  for _, entry in ipairs(live) do
    table.insert(items, { name = entry.name, label = string.format('%s: back to its backup %s', entry.name, entry.refs[#entry.refs].stamp) })
  end
  for _, entry in ipairs(removed) do
    table.insert(items, { name = entry.name, label = string.format('%s (removed): bring it back from %s', entry.name, entry.refs[#entry.refs].stamp) })
  end
  if #items == 0 then
    return ui.notify('no backups to restore', levels.WARN)
  end
  vim.ui.select(items, {
    prompt = 'Restore which session?',
    format_item = function(item)
      return item.label
    end,
  }, function(choice)
    if choice then
      choose_name(choice.name)
    end
  end)
end

function M.recover(ctx)
  M.call(ctx, 'agentls.session.recover', {}, function(result)
    local lines = type(result.recovered) == 'table' and result.recovered or {}
    if #lines == 0 then
      return ui.notify('nothing to recover: no land was interrupted')
    end
    ui.notify('recovered: ' .. table.concat(lines, '\nrecovered: '))
  end)
end

return M
