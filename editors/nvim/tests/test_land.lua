-- :AgentLS land lands an independent, clean session: trunk fast-forwards to a
-- commit holding the session's work (checked with git), with a success message.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':AgentLS land', function()
  local fx = H.fixture()
  -- alpha adds a new file: independent of everything else, committed, clean.
  H.write(fx.alpha .. '/feature.txt', { 'alpha feature' })
  H.git(fx.alpha, 'add', 'feature.txt')
  H.git(fx.alpha, 'commit', '-qm', 'alpha: add feature.txt')
  -- trunk gains a land configuration after alpha branched: land must rebase, then run it.
  H.write(fx.repo .. '/.agentls.toml', { '[land]', 'test = "test -f feature.txt"' })
  H.git(fx.repo, 'add', '.agentls.toml')
  H.git(fx.repo, 'commit', '-qm', 'land config')
  local old_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')

  H.setup()
  local buf = H.edit(fx.alpha .. '/feature.txt')
  H.client_of(buf)

  vim.cmd('AgentLS land')
  H.wait_for('a "landed alpha" message', 60000, function()
    for _, m in ipairs(H.messages) do
      if m.message:find('landed alpha', 1, true) then
        return true
      end
      if m.level == vim.log.levels.ERROR then
        return true
      end
    end
    return false
  end, H.describe)
  for _, m in ipairs(H.messages) do
    H.assert(m.level ~= vim.log.levels.ERROR, 'land reported an error: ' .. m.message)
  end

  local progress = vim.tbl_filter(function(m)
    return vim.startswith(m.message, 'agentls: land alpha: ')
  end, H.messages)
  H.assert(#progress > 0, 'land progress should show as messages ("agentls: land alpha: ...")')

  local new_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')
  H.assert(new_trunk ~= old_trunk, 'trunk main did not move (still ' .. old_trunk .. ')')
  H.git(fx.repo, 'merge-base', '--is-ancestor', old_trunk, new_trunk) -- moved forward only
  H.eq('alpha feature', H.git(fx.repo, 'show', new_trunk .. ':feature.txt'), 'feature.txt on trunk')
  H.eq('land config', H.git(fx.repo, 'log', '-1', '--format=%s', new_trunk .. '~1'), 'alpha rebased onto the new trunk')
end)
