-- Semantic checks (docs/semantic.md): where the server's checks stand
-- (`agentls/semanticChanged`, per client), the words the sessions buffer and a
-- statusline show, and the verbs: verify now (:AgentLS verify), allow or stop
-- background checks (:AgentLS checks), open a check's full log.
local M = {}

local client_mod = require('agentls.client')
local ui = require('agentls.ui')

local levels = vim.log.levels

-- client id -> the latest status {enabled, background, paused, running, queue, pairs, ...}
local by_client = {}

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

--- Handler of `agentls/semanticChanged`.
function M.update(client_id, status)
  if type(status) == 'table' then
    by_client[client_id] = status
    pcall(vim.cmd, 'redrawstatus')
    pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'AgentlsSemanticChanged', modeline = false })
  end
end

function M.get(client_id)
  return by_client[client_id]
end

function M.forget(client_id)
  by_client[client_id] = nil
end

--- "checking cart + rename (2 queued)", "by hand, 1 queued", "up to date"...; nil
--- while trunk does not enable checks (nothing to say).
function M.status_text(status)
  if type(status) ~= 'table' or (not status.enabled and #(status.running or {}) == 0) then
    return nil
  end
  local queue = tonumber(status.queue) or 0
  local queued = queue > 0 and string.format(', %d queued', queue) or ''
  local running = status.running or {}
  if #running > 0 then
    local first = running[1]
    local message = present(first.message) and (': ' .. tostring(first.message)) or ''
    return string.format('checking %s%s%s', tostring(first.label), message, queued)
  end
  if present(status.error) then
    return 'off: the settings on trunk are wrong: ' .. tostring(status.error)
  end
  if status.background == 'needs-opt-in' then
    return 'by hand (background checks not allowed: :AgentLS checks allow)' .. queued
  end
  if status.background == 'untrusted' then
    return 'off while an untrusted workspace is open'
  end
  if present(status.paused) then
    return string.format('paused while a %s runs%s', tostring(status.paused), queued)
  end
  return queue > 0 and ('waiting for quiet sessions' .. queued) or 'up to date'
end

--- For a statusline, only while checks run: "checking 1/3" (running, queued after).
function M.short_text(status)
  local running = type(status) == 'table' and status.running or {}
  if #running == 0 then
    return nil
  end
  local queue = tonumber(status.queue) or 0
  return queue > 0 and string.format('checking +%d', queue) or 'checking'
end

--- "cart + rename", "cart + main (trunk)".
function M.pair_label(pair)
  local label = table.concat(pair.sessions or {}, ' + ')
  if present(pair.trunk) then
    label = label .. ' + ' .. tostring(pair.trunk) .. ' (trunk)'
  end
  return label
end

--- A semantic collision's words in the sessions buffer: "test `pytest -q` exit 1: test_x".
function M.check_text(check)
  if type(check) ~= 'table' then
    return ''
  end
  local code = check.exitCode
  local ran = (code == nil or code == vim.NIL) and 'timed out' or ('exit ' .. tostring(code))
  local text = string.format('%s `%s` %s', tostring(present(check.kind) and check.kind or 'test'), tostring(check.command), ran)
  local tests = type(check.tests) == 'table' and check.tests or {}
  if #tests > 0 then
    local shown = {}
    for index = 1, math.min(2, #tests) do
      table.insert(shown, (tostring(tests[index]):match('([^.:]+)$')) or tests[index])
    end
    text = text .. ': ' .. table.concat(shown, ', ') .. (#tests > 2 and string.format(' and %d more', #tests - 2) or '')
  end
  if check.current == false then
    text = text .. '; changed since, re-checking'
  end
  return text
end

--- The lines verify's answer is told in (one per pair that is not a plain pass).
function M.result_lines(result)
  local lines = {}
  for _, pair in ipairs(type(result) == 'table' and result.pairs or {}) do
    if pair.status == 'semantic' then
      local failed = type(pair.failed) == 'table' and pair.failed or {}
      table.insert(lines, string.format('semantic conflict: %s: %s', M.pair_label(pair), tostring(pair.reason or '')))
      if present(failed.log) then
        table.insert(lines, '  full log: ' .. tostring(failed.log))
      end
    elseif pair.status ~= 'pass' and pair.status ~= 'same' then
      table.insert(lines, string.format('%s: %s', M.pair_label(pair), tostring(pair.reason or pair.status)))
    end
  end
  table.insert(lines, tostring(type(result) == 'table' and result.message or 'verify: no answer'))
  return lines
end

--- Build and test the pending pairs (or PAIR, two names; trunk by its branch) merged.
function M.verify(ctx, pair, force, on_done)
  local argument = { force = force and true or false }
  if pair and #pair > 0 then
    if #pair ~= 2 then
      return ui.notify('verify: name two sessions (or a session and the trunk branch)', levels.ERROR)
    end
    argument.pair = pair
  end
  ui.notify(pair and #pair == 2 and string.format('checking %s + %s merged...', pair[1], pair[2]) or 'checking every pair merged...')
  client_mod.execute(ctx.client, 'agentls.verify.run', argument, function(err, result)
    if err then
      return require('agentls.actions').fail(err, 'verify')
    end
    ui.notify(table.concat(M.result_lines(result), '\n'), (result and (tonumber(result.found) or 0) > 0) and levels.WARN or levels.INFO)
    if on_done then
      on_done(result)
    end
  end)
end

--- Allow (or stop) background checks for this repository, for this user.
function M.allow(ctx, allow)
  local function go()
    client_mod.execute(ctx.client, 'agentls.verify.allowBackground', { allow = allow }, function(err, result)
      if err then
        return require('agentls.actions').fail(err, 'checks')
      end
      ui.notify(allow and string.format('background semantic checks allowed (now: %s)', tostring(result and result.background))
        or 'background semantic checks stopped for this repository')
    end)
  end
  if not allow then
    return go()
  end
  ui.confirm(
    'Allow background semantic checks? When sessions are quiet, agentls runs the build and test commands configured on trunk on each pair merged, in a scratch checkout under .git, at low priority. Recorded for you only.',
    'Allow',
    go
  )
end

--- What the checks are doing, from the server (not the cached notification).
function M.show(ctx)
  client_mod.execute(ctx.client, 'agentls.verify.status', {}, function(err, status)
    if err then
      return require('agentls.actions').fail(err, 'checks')
    end
    M.update(ctx.client.id, status)
    local text = M.status_text(status) or 'not enabled on trunk ([tool.agentls.verify] enabled = true)'
    local pairs_watched = require('agentls.actions').plural(tonumber(status.pairs) or 0, 'pair')
    ui.notify(string.format('semantic checks: %s (%s watched; background %s)', text, pairs_watched, tostring(status.background)))
  end)
end

--- Open a check's full log (a file of agentls's own log folder) in a split, at its end.
function M.open_log(log)
  if not present(log) or vim.fn.filereadable(log) ~= 1 then
    return ui.notify('this check kept no log (or it was pruned)', levels.WARN)
  end
  vim.cmd('split ' .. vim.fn.fnameescape(log))
  vim.bo.readonly = true
  vim.cmd('normal! G')
end

return M
