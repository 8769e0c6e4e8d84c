-- The review verbs: approve, approve and land, request changes, skip, run checks,
-- remove. Each is one server command (`agentls.review.verdict`,
-- `agentls.review.runChecks`, the lifecycle's remove), so it goes through the
-- same lifecycle code as the CLI. The review buffer, the diff tabs and the
-- <Plug>(agentls-review-*) mappings all come here.
--
-- A target is { session = name, head = commit | nil, item = review item | nil }:
-- `head` is the commit the reviewer looked at; the server refuses a verdict
-- (`review-stale`) when the session moved since, so an approval never covers
-- commits nobody saw.
local M = {}

local actions = require('agentls.actions')
local client_mod = require('agentls.client')
local refusals = require('agentls.refusals')
local text = require('agentls.review.text')
local ui = require('agentls.ui')

local levels = vim.log.levels
local present = text.present

local VERDICT = 'agentls.review.verdict'

--- What the user is told once a verdict is recorded.
local function verdict_message(result)
  local head = text.short(result.head)
  local session = tostring(result.session)
  if result.verdict == 'approved' then
    return string.format('approved %s at %s', session, head)
  end
  if result.verdict == 'changes-requested' then
    local line = string.format('requested changes from %s at %s', session, head)
    if present(result.handoff) then
      line = line .. '; wrote the request into ' .. tostring(result.handoff)
    end
    return line
  end
  return string.format('skipped %s at %s', session, head)
end

--- Records a verdict; `done(result)` after it is recorded, `failed(err)` (default:
--- tell the user) when refused.
local function record(ctx, target, verdict, notes, done, failed)
  local argument = { session = target.session, verdict = verdict }
  if present(notes) then
    argument.notes = notes
  end
  if present(target.head) then
    argument.head = target.head
  end
  actions.call(ctx, VERDICT, argument, function(result)
    ui.notify(verdict_message(result))
    if done then
      done(result)
    end
  end, function(err)
    actions.fail(err)
    if failed then
      failed(err)
    end
  end)
end

function M.approve(ctx, target, done)
  record(ctx, target, 'approved', nil, done)
end

function M.skip(ctx, target, done)
  record(ctx, target, 'skipped', nil, done)
end

--- Request changes: the notes are typed into a scratch buffer (agentls.review.notes);
--- writing it sends them, closing it cancels. The server writes them into the
--- session's HANDOFF.md with a resume prompt; its own notes stay.
function M.request_changes(ctx, target, done)
  require('agentls.review.notes').open(target.session, function(notes, sent)
    record(ctx, target, 'changes-requested', notes, function(result)
      sent(true)
      if done then
        done(result)
      end
    end, function()
      sent(false) -- refused: the notes stay in their buffer, nothing is lost
    end)
  end)
end

--- The land's plan in one line, for the question before approve-and-land: the
--- dry run's sentence. With require-review on, a dry run of a head that is not
--- approved yet is refused (`review-required`): then what the review item says.
local function plan(ctx, target, callback)
  local item = target.item
  local function from_item()
    local trunk = type(item.trunk) == 'table' and item.trunk.branch or 'trunk'
    local line = string.format('%s lands %s onto %s', target.session, text.plural(tonumber(item.ahead) or 0, 'commit'), tostring(trunk))
    local landable = type(item.landable) == 'table' and item.landable or {}
    for _, warning in ipairs(type(landable.warnings) == 'table' and landable.warnings or {}) do
      line = line .. '; ' .. tostring(warning.message)
    end
    return callback(line)
  end
  local review = item and type(item.review) == 'table' and item.review or {}
  if item and item.requireReview == true and review.approved ~= true then
    return from_item() -- the dry run would be refused until the approval is recorded
  end
  local argument = { session = target.session, dryRun = true }
  client_mod.execute(ctx.client, 'agentls.session.land', argument, function(err, result)
    if not err and type(result) == 'table' and result.ok ~= false then
      return callback(present(result.message) and tostring(result.message) or ('land ' .. target.session))
    end
    local refused = err or result
    if refusals.code(refused) == 'review-required' and item then
      return from_item()
    end
    actions.fail(refused, 'land ' .. target.session)
  end)
end

--- Approve and land now: asks first, showing the land's plan; then records the
--- approval and lands through the server's land (rebase, build + tests,
--- fast-forward). A refused land leaves the approval recorded.
function M.approve_land(ctx, target, done)
  local session = target.session
  plan(ctx, target, function(plan_text)
    ui.confirm(string.format('Approve and land %s? %s', session, (plan_text:gsub('\n', '; '))), 'Approve and land', function()
      local argument = { session = session, verdict = 'approved', land = true }
      if present(target.head) then
        argument.head = target.head
      end
      ui.notify(string.format('approving and landing %s...', session))
      client_mod.execute(ctx.client, VERDICT, argument, function(err, result)
        if err then
          return actions.fail(err)
        end
        result = type(result) == 'table' and result or {}
        if present(result.verdict) then
          ui.notify(verdict_message(result))
        end
        local function landed(land_err, land)
          if land_err then
            actions.fail(land_err, 'land ' .. session)
          else
            actions.show_land_result(session, land)
          end
          if done then
            done(result)
          end
        end
        local land = result.land
        local operations = require('agentls.operations')
        if operations.is_started(land) then
          -- A server that runs lands in the background: it ends with agentls/operationFinished.
          return operations.wait(ctx.client.id, land, landed)
        end
        landed(nil, land)
      end)
    end)
  end)
end

--- Runs trunk's build and test commands on the session's HEAD tree (a scratch
--- checkout, never its worktree); failures open their output.
function M.run_checks(ctx, target, done)
  local session = target.session
  ui.notify(string.format('running the checks of %s on its HEAD...', session))
  client_mod.execute(ctx.client, 'agentls.review.runChecks', { session = session }, function(err, result)
    if err then
      return actions.fail(err, 'checks of ' .. session)
    end
    result = type(result) == 'table' and result or {}
    local checks = type(result.checks) == 'table' and result.checks or nil
    local line = checks and text.checks_sentence(checks) or tostring(result.message or 'done')
    if result.ok == false then
      ui.notify(string.format('checks of %s: %s', session, line), levels.WARN)
      local lines = { string.format('checks of %s at %s: %s', session, text.short(result.head), line) }
      for _, check in ipairs(checks and type(checks.results) == 'table' and checks.results or {}) do
        table.insert(lines, '')
        table.insert(lines, string.format('%s: %s (%s)', tostring(check.kind), tostring(check.command), check.ok and 'passed' or ('exit ' .. tostring(check.exitCode))))
        vim.list_extend(lines, ui.lines(present(check.output) and check.output or ''))
      end
      ui.scratch('review-checks', lines)
    else
      ui.notify(string.format('checks of %s: %s', session, line))
    end
    if done then
      done(result)
    end
  end)
end

--- Removes the session (asks; a backup ref keeps its work): the lifecycle's remove.
function M.remove(ctx, target)
  actions.remove(ctx, target.session, false)
end

return M
