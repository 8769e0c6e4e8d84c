-- Each session's review state as the server last said it (one list per client):
-- from `agentls/reviewChanged`, and from the `review` key of a full report. The
-- sessions buffer and the statusline read it; nothing here asks the server.
local M = {}

-- client id -> { [session name] = { session, head, state, approved, changedSinceReview, ... } }
local by_client = {}

--- Stores a review list: `agentls/reviewChanged`'s `sessions`, or a report's `review`.
function M.update(client_id, list)
  if type(list) ~= 'table' then
    return
  end
  local entries = {}
  for _, entry in ipairs(list) do
    if type(entry) == 'table' and type(entry.session) == 'string' then
      entries[entry.session] = entry
    end
  end
  by_client[client_id] = entries
end

--- The review state of a session, or nil when it is not in the review queue.
function M.get(client_id, name)
  local entries = by_client[client_id]
  return entries and entries[name] or nil
end

function M.forget(client_id)
  by_client[client_id] = nil
end

return M
