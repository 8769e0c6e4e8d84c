-- Pickers and completion offer only the sessions a verb applies to: land never
-- offers trunk, a research fork or a session with nothing to land (landed);
-- rename, remove and handoff never offer trunk's checkout.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local function offered(command)
  local labels
  H.choose(function(_, items)
    labels = items
    return nil -- dismiss
  end)
  vim.cmd(command)
  H.wait_for('the picker of ' .. command, 20000, function()
    return labels ~= nil
  end, H.describe)
  local names = {}
  for _, label in ipairs(labels) do
    table.insert(names, (label:match('^(%S+)')))
  end
  table.sort(names)
  return names
end

H.run('pickers offer only the sessions a verb applies to', function()
  local fx = H.fixture()
  H.commit_file(fx.repo, '.agentls.toml', { '[land]', 'test = "true"' }, 'land config')
  -- alpha and beta have work; alpha lands; beta's research fork has a snapshot commit.
  for _, wt in ipairs({ fx.alpha, fx.beta }) do
    H.write(wt .. '/' .. vim.fn.fnamemodify(wt, ':t') .. '.txt', { 'work' })
    H.git(wt, 'add', '-A')
    H.git(wt, 'commit', '-qm', 'work')
  end
  H.cli(fx.repo, 'land', 'alpha')
  H.cli(fx.beta, 'fork', 'notes')

  H.setup()
  -- From trunk's checkout: land and rename must pick.
  local buf = H.edit(fx.repo .. '/app.txt')
  H.client_of(buf)
  H.wait_for('four sessions', 20000, function()
    local state = require('agentls.sessions').get(H.clients()[1].id)
    return state and #state.sessions == 4
  end, H.describe)

  H.eq({ 'beta' }, offered('AgentLS land'), 'land offers (not main, not landed alpha, not the fork notes)')
  H.eq({ 'alpha', 'beta', 'notes' }, offered('AgentLS rename'), 'rename offers (not trunk)')
  H.eq({ 'alpha', 'beta', 'notes' }, offered('AgentLS remove'), 'remove offers (not trunk)')
  H.eq({ 'alpha', 'beta', 'notes' }, offered('AgentLS handoff'), 'handoff offers (not trunk)')

  -- Completion follows the same rules.
  H.eq({ 'beta' }, require('agentls').complete('', 'AgentLS land '), 'land completion')
  local renames = require('agentls').complete('', 'AgentLS rename ')
  table.sort(renames)
  H.eq({ 'alpha', 'beta', 'notes' }, renames, 'rename completion')
end)
