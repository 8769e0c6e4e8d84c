-- What the server last said about the sessions of each repository (one entry
-- per client), fed by `agentls/sessionsChanged` and by agentls.sessions answers.
local M = {}

local git = require('agentls.git')

-- Shallow copy: vim.deepcopy on 0.7 cannot copy vim.NIL (JSON null).
local function copy(t)
  local result = {}
  for key, value in pairs(t) do
    result[key] = value
  end
  return result
end

-- client id -> { self = name|nil, sessions = { {name, path, branch, collisions, ...} }, counts, total }
local by_client = {}

--- Stores an `agentls/sessionsChanged` notification's params. Fields the
--- notification lacks (an older server sends no claims) keep the values the
--- last full report gave, as do the report's collisions and trunk.
function M.update(client_id, params, report)
  local previous = by_client[client_id]
  local before = {}
  for _, session in ipairs(previous and previous.sessions or {}) do
    before[session.name] = session
  end
  local sessions = {}
  for _, session in ipairs(params.sessions or {}) do
    local entry = report and {} or copy(before[session.name] or {})
    for key, value in pairs(session) do
      entry[key] = value
    end
    entry.realpath = session.path and git.realpath(session.path) or nil
    table.insert(sessions, entry)
  end
  by_client[client_id] = {
    self = params.self ~= vim.NIL and params.self or nil,
    sessions = sessions,
    counts = params.counts or {},
    total = params.total or 0,
    report = report or (previous and previous.report) or nil,
    updated = vim.loop.now(),
  }
end

--- Stores an agentls.sessions / agentls.refresh answer (a full report) in the
--- notification's shape, so both sources feed one view.
function M.update_from_report(client_id, answer)
  local report = answer.report or {}
  local collisions, counts, total = {}, {}, 0
  for _, overlap in ipairs(report.overlaps or {}) do
    counts[overlap.kind] = (counts[overlap.kind] or 0) + 1
    total = total + 1
    for _, name in ipairs(overlap.sessions or {}) do
      collisions[name] = (collisions[name] or 0) + 1
    end
  end
  local sessions = {}
  for _, session in ipairs(report.sessions or {}) do
    local entry = copy(session)
    entry.changed = type(session.changed) == 'table' and #session.changed or session.changed
    entry.collisions = collisions[session.name] or 0
    table.insert(sessions, entry)
  end
  M.update(client_id, { self = answer.self, sessions = sessions, counts = counts, total = total }, report)
  if type(report.review) == 'table' then
    require('agentls.review.state').update(client_id, report.review)
  end
end

function M.get(client_id)
  return by_client[client_id]
end

function M.forget(client_id)
  by_client[client_id] = nil
end

--- The session whose worktree holds `path` (the deepest one: worktrees may nest).
function M.session_of(client_id, path)
  local state = by_client[client_id]
  if not state or not path or path == '' then
    return nil
  end
  local real = git.realpath(path)
  local best
  for _, session in ipairs(state.sessions) do
    local root = session.realpath
    if root and (real == root or vim.startswith(real, root .. '/')) then
      if not best or #root > #best.realpath then
        best = session
      end
    end
  end
  return best
end

--- The session called `name`, or nil.
function M.find(client_id, name)
  local state = by_client[client_id]
  for _, session in ipairs(state and state.sessions or {}) do
    if session.name == name then
      return session
    end
  end
  return nil
end

--- Collisions of the last full report that involve session `name`.
function M.collisions_of(client_id, name)
  local state = by_client[client_id]
  local found = {}
  for _, overlap in ipairs(state and state.report and state.report.overlaps or {}) do
    if vim.tbl_contains(overlap.sessions or {}, name) and not M.seen_elsewhere(overlap, name) then
      table.insert(found, overlap)
    end
  end
  return found
end

--- Whether session NAME sees this collision at another entry: a rename's conflict is
--- listed again at the path the session has (`paths` names it; docs/concepts.md). A
--- semantic conflict is listed once, `paths` naming each session's own file.
function M.seen_elsewhere(overlap, name)
  return overlap.kind ~= 'semantic' and type(overlap.paths) == 'table' and overlap.paths[name] ~= nil
end

--- Session names known for a client (for completion and pickers).
function M.names(client_id)
  local names = {}
  local state = by_client[client_id]
  for _, session in ipairs(state and state.sessions or {}) do
    table.insert(names, session.name)
  end
  return names
end

return M
