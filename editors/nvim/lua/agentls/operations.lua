-- Long operations (land, land-all, new, fork, verify). A server that runs them in the
-- background answers `{"ok": true, "operation": id, "title": ...}` at once and
-- later sends `agentls/operationFinished {operation, ok, result, error}`; an older
-- server answers with the result itself. Either way the caller gets one
-- callback(err, result) with what the command would have returned.
local M = {}

-- operation id -> { callback, title, client_id }
local pending = {}
-- operation id -> finished params that arrived before the request's answer
local early = {}

--- Whether a command's answer only announces a background operation.
function M.is_started(result)
  return type(result) == 'table' and type(result.operation) == 'string' and result.ok ~= false and result.result == nil
end

local function deliver(entry, params)
  if params.result ~= nil and params.result ~= vim.NIL then
    local result = params.result
    if type(result) == 'table' and params.ok == false and result.error == nil and type(params.error) == 'table' then
      result.error = params.error
    end
    return entry.callback(nil, result)
  end
  local error = type(params.error) == 'table' and params.error or { code = 'failed', message = (entry.title or 'the operation') .. ' failed' }
  -- Shaped like a JSON-RPC refusal, so one describe() words both.
  entry.callback({ code = -32001, message = error.message, data = error }, nil)
end

--- Waits for the end of an operation the server started; `callback(err, result)`.
function M.wait(client_id, started, callback)
  local id = started.operation
  local entry = { callback = callback, title = started.title, client_id = client_id }
  local done = early[id]
  if done then
    early[id] = nil
    return deliver(entry, done)
  end
  pending[id] = entry
end

--- What the user is told about an operation nobody in this Neovim waits for
--- (started by a code action or another plugin): one line.
local function announce(params)
  local ui = require('agentls.ui')
  if params.ok then
    local result = type(params.result) == 'table' and params.result or {}
    ui.notify(string.format('%s: done%s', params.title or params.command or 'operation', result.message and (' (' .. tostring(result.message) .. ')') or ''))
  else
    local text = require('agentls.refusals').describe({ data = params.error or {} })
    ui.notify(string.format('%s: %s', params.title or params.command or 'operation', text), vim.log.levels.WARN)
  end
end

--- Handler of `agentls/operationFinished`.
function M.finished(_, params, ctx)
  if type(params) ~= 'table' or type(params.operation) ~= 'string' then
    return vim.NIL
  end
  local entry = pending[params.operation]
  if entry then
    pending[params.operation] = nil
    vim.schedule(function()
      deliver(entry, params)
    end)
    return vim.NIL
  end
  -- The request's answer may still be on its way: give it a moment to claim this.
  early[params.operation] = params
  vim.defer_fn(function()
    if early[params.operation] then
      early[params.operation] = nil
      announce(params)
    end
  end, 1000)
  return vim.NIL
end

--- Operations still running for a client (they end with the client).
function M.running(client_id)
  local found = {}
  for id, entry in pairs(pending) do
    if client_id == nil or entry.client_id == client_id then
      table.insert(found, { operation = id, title = entry.title })
    end
  end
  return found
end

--- A client went away: its operations will never finish.
function M.forget(client_id)
  for id, entry in pairs(pending) do
    if entry.client_id == client_id then
      pending[id] = nil
      entry.callback({ code = -32603, message = (entry.title or 'the operation') .. ': the agentls server stopped before it ended' }, nil)
    end
  end
end

return M
