-- How the review sweep is worded in Neovim: review states, landability, build
-- and test results, diffstats, scope. One home for the words, shared by the
-- review buffer, the sessions buffer and the messages.
local M = {}

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end
M.present = present

function M.plural(n, word)
  return string.format('%d %s%s', n, word, n == 1 and '' or 's')
end

function M.short(commit)
  return present(commit) and tostring(commit):sub(1, 8) or '?'
end

--- "5m ago" for a Unix time.
function M.ago(when)
  if type(when) ~= 'number' then
    return '?'
  end
  local seconds = math.max(0, os.time() - when)
  for _, unit in ipairs({ { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 } }) do
    if seconds >= unit[2] then
      return string.format('%d%s ago', math.floor(seconds / unit[2]), unit[1])
    end
  end
  return 'just now'
end

--- A review state's label and highlight group. `review` is an item's `review`
--- or an `agentls/reviewChanged` entry. A verdict on an older head says
--- "changed since review" whatever it was.
function M.state(review)
  review = type(review) == 'table' and review or {}
  local state = present(review.state) and review.state or 'unreviewed'
  if state ~= 'unreviewed' and review.changedSinceReview == true then
    return 'changed since review', 'AgentlsChangedSinceReview'
  end
  if state == 'approved' then
    return '✓ approved', 'AgentlsApproved'
  end
  if state == 'changes-requested' then
    return 'changes requested', 'AgentlsChangesRequested'
  end
  if state == 'skipped' then
    return 'skipped', 'AgentlsSkipped'
  end
  return 'not reviewed', 'AgentlsUnreviewed'
end

local VERDICT = { approved = 'approved', ['changes-requested'] = 'requested changes', skipped = 'skipped' }

--- The review in a sentence: "approved by Rita 5m ago at 3e980feb; changed since review".
function M.review_sentence(review)
  review = type(review) == 'table' and review or {}
  local state = present(review.state) and review.state or 'unreviewed'
  if state == 'unreviewed' then
    return 'not reviewed'
  end
  local text = string.format('%s by %s %s', VERDICT[state] or state, tostring(review.reviewer or '?'), M.ago(review.time))
  if review.rebasedSinceReview == true then
    text = text .. ' (rebased since: the same change)'
  elseif review.changedSinceReview == true then
    text = text .. string.format(' at %s; changed since review', M.short(review.head))
  end
  return text
end

-- Blockers in a word or two for the queue's one-line rows.
local BLOCKERS = {
  uncommitted = 'uncommitted work',
  ['nothing-to-land'] = 'nothing to land',
  detached = 'detached HEAD',
  ['operation-in-progress'] = 'operation in progress',
}

--- "landable" or "blocked: uncommitted work, conflicts with main", and its group.
function M.landable(landable, trunk)
  landable = type(landable) == 'table' and landable or {}
  if landable.now == true then
    return 'landable', 'AgentlsLandable'
  end
  local words = {}
  for _, blocker in ipairs(type(landable.blockers) == 'table' and landable.blockers or {}) do
    local word = BLOCKERS[blocker.code]
    if blocker.code == 'trunk-conflict' then
      word = 'conflicts with ' .. tostring(trunk or 'trunk')
    elseif blocker.code == 'operation-in-progress' and type(blocker.data) == 'table' and present(blocker.data.operation) then
      word = blocker.data.operation .. ' in progress'
    end
    table.insert(words, word or blocker.message or blocker.code)
  end
  return 'blocked: ' .. (#words > 0 and table.concat(words, ', ') or '?'), 'AgentlsBlocked'
end

--- "2 files +12 -4".
function M.stat(stat)
  stat = type(stat) == 'table' and stat or {}
  return string.format('%s +%d -%d', M.plural(tonumber(stat.files) or 0, 'file'), tonumber(stat.insertions) or 0, tonumber(stat.deletions) or 0)
end

--- "1 conflict, 2 overlap" or "no collisions", and its group.
function M.collisions(counts, kinds_order)
  counts = type(counts) == 'table' and counts or {}
  local parts = {}
  for _, kind in ipairs(kinds_order or { 'conflict', 'overlap', 'ownership', 'research-write' }) do
    local n = tonumber(counts[kind]) or 0
    if n > 0 then
      table.insert(parts, string.format('%d %s', n, kind))
    end
  end
  if #parts == 0 then
    return 'no collisions', 'AgentlsClean'
  end
  return table.concat(parts, ', '), 'AgentlsConflict'
end

--- Scope: "in its claims", "2 outside claims", "no claims", and its group.
function M.scope(scope)
  scope = type(scope) == 'table' and scope or {}
  local claims = type(scope.claims) == 'table' and scope.claims or {}
  local outside = type(scope.outside) == 'table' and scope.outside or {}
  if #claims == 0 then
    return 'no claims', 'AgentlsClean'
  end
  if #outside == 0 then
    return 'in its claims', 'AgentlsClean'
  end
  return string.format('%d outside claims', #outside), 'AgentlsOutsideClaims'
end

--- The last build/test run on this tree: "checks passed", "checks FAILED",
--- "no checks", and its group.
function M.checks(checks)
  if type(checks) ~= 'table' then
    return 'no checks', 'AgentlsClean'
  end
  if checks.ok == true then
    return 'checks passed', 'AgentlsChecksPassed'
  end
  return 'checks FAILED', 'AgentlsChecksFailed'
end

--- The run in a sentence: "passed (from a land, 5m ago): test: pytest -q passed".
function M.checks_sentence(checks)
  if type(checks) ~= 'table' then
    return 'no build/test result for this tree'
  end
  local where = checks.source == 'land' and 'from a land' or 'run from a review'
  local results = {}
  for _, result in ipairs(type(checks.results) == 'table' and checks.results or {}) do
    table.insert(results, present(result.summary) and tostring(result.summary) or tostring(result.command))
  end
  return string.format('%s (%s, %s)%s', checks.ok and 'passed' or 'FAILED', where, M.ago(checks.time), #results > 0 and (': ' .. table.concat(results, '; ')) or '')
end

--- A file of an item: "old → new" for renames.
function M.file_name(file)
  if present(file.oldPath) and file.oldPath ~= file.path then
    return string.format('%s → %s', file.oldPath, file.path)
  end
  return tostring(file.path)
end

return M
