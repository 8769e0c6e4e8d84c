-- :AgentLS rename renames the current buffer's session (checked with the CLI),
-- completion offers session names, and a bad name is refused with a message.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local function names_in(report)
  local names = {}
  for _, session in ipairs(report.sessions) do
    names[session.name] = session.path
  end
  return names
end

H.run(':AgentLS rename', function()
  local fx = H.fixture()
  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)

  -- Completion lists subcommands, then session names once the server reported them.
  local subs = require('agentls').complete('re', 'AgentLS re')
  H.assert(vim.tbl_contains(subs, 'rename') and vim.tbl_contains(subs, 'release'), 'subcommand completion: ' .. vim.inspect(subs))
  H.wait_for('session names in completion', 20000, function()
    local names = require('agentls').complete('', 'AgentLS rename ')
    return vim.tbl_contains(names, 'alpha') and vim.tbl_contains(names, 'beta')
  end, function()
    return vim.inspect(require('agentls').complete('', 'AgentLS rename ')) .. '\n' .. H.describe()
  end)

  -- A name the server refuses: an error message, nothing renamed.
  vim.cmd('AgentLS rename alpha bad/name')
  H.wait_for('a warning for an invalid name', 20000, function()
    for _, m in ipairs(H.messages) do
      if m.level == vim.log.levels.WARN and m.message:find('bad/name', 1, true) then
        return true
      end
    end
    return false
  end, H.describe)
  H.assert(names_in(H.status(fx.repo)).alpha, 'alpha must keep its name after a refused rename')

  -- One argument renames the session of the current buffer.
  vim.cmd('AgentLS rename auth-work')
  H.wait_for('the rename to be confirmed', 20000, function()
    for _, m in ipairs(H.messages) do
      if m.message:find('renamed alpha to auth-work', 1, true) then
        return true
      end
    end
    return false
  end, H.describe)
  local names = names_in(H.status(fx.repo))
  H.eq(fx.alpha, names['auth-work'], 'path of session auth-work per `agentls status --json`')
  H.assert(names.alpha == nil, 'the old name alpha should be gone: ' .. vim.inspect(names))

  -- Two arguments rename another session.
  vim.cmd('AgentLS rename beta billing')
  H.wait_for('beta renamed to billing (per the CLI)', 20000, function()
    return names_in(H.status(fx.repo)).billing == fx.beta
  end, H.describe)
end)
