-- :AgentLS remove, restore and recover, checked with git: remove asks first and,
-- refused for unlanded work, offers to remove anyway (a backup ref keeps it);
-- restore brings a removed session back whole and puts a session's branch back
-- to its backup; recover finishes an interrupted land. :AgentLS new offers to
-- open the new worktree.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':AgentLS remove, restore, recover, new', function()
  local fx = H.fixture()
  H.commit_file(fx.repo, '.agentls.toml', { '[land]', 'test = "true"' }, 'land config')
  -- beta: a commit trunk lacks (unlanded work).
  H.commit_file(fx.beta, 'beta.txt', { 'beta work' }, 'beta: work')
  local beta_head = H.git(fx.beta, 'rev-parse', 'HEAD')

  H.setup()
  local buf = H.edit(fx.repo .. '/app.txt')
  H.client_of(buf)

  -- remove: asks; the refusal (unlanded work) offers "Remove anyway".
  H.choose('Remove')
  H.choose('Remove anyway')
  vim.cmd('AgentLS remove beta')
  H.wait_message('removed session beta', 30000)
  H.assert(H.asked[1].prompt:find('^Remove session beta%? Its worktree ' .. vim.pesc(fx.beta)), vim.inspect(H.asked[1]))
  H.assert(H.asked[2].prompt:find('Remove it anyway%?'), 'offered to force: ' .. vim.inspect(H.asked[2]))
  H.eq(0, vim.fn.isdirectory(fx.beta), 'beta/ removed')
  local backups = H.git(fx.repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/agentls/backup/beta/')
  H.assert(backups:find(beta_head, 1, true), "a backup ref keeps beta's head: " .. backups)

  -- Completion offers the removed session to restore.
  H.assert(vim.tbl_contains(require('agentls').complete('', 'AgentLS restore '), 'beta'), 'restore completion')

  -- restore of a removed session: brings it back as a session, then offers to open it.
  H.choose('Bring it back')
  H.choose('Not now')
  vim.cmd('AgentLS restore beta')
  H.wait_message('brought back beta', 30000)
  local beta = H.session(fx.repo, 'beta')
  H.assert(beta and vim.fn.isdirectory(beta.path) == 1, 'beta is a session again: ' .. vim.inspect(beta))
  H.eq(beta_head, H.git(beta.path, 'rev-parse', 'HEAD'), "beta's head is back")
  H.assert(H.last_asked().prompt:find('^Open ' .. vim.pesc(beta.path)), 'offered to open: ' .. vim.inspect(H.last_asked()))

  -- land beta (trunk moved since it branched? no: make it move), then restore puts
  -- its branch back to the pre-land head.
  H.commit_file(fx.repo, 'trunk.txt', { 'trunk moved on' }, 'trunk: more')
  H.cli(fx.repo, 'land', 'beta')
  local rebased = H.git(beta.path, 'rev-parse', 'HEAD')
  H.assert(rebased ~= beta_head, 'land rebased beta')
  H.choose('Restore')
  vim.cmd('AgentLS restore beta')
  H.wait_message('is back at ' .. beta_head:sub(1, 8), 30000)
  H.eq(beta_head, H.git(beta.path, 'rev-parse', 'HEAD'), 'beta back at its pre-land head')
  H.assert(H.git(fx.repo, 'for-each-ref', '--format=%(objectname)', 'refs/agentls/backup/beta/'):find(rebased, 1, true), 'the rebased head is kept')

  -- recover: nothing was interrupted...
  vim.cmd('AgentLS recover')
  H.wait_message('nothing to recover')
  -- ...then a land killed while holding the lock is recovered.
  H.commit_file(beta.path, 'more.txt', { 'more' }, 'beta: more')
  vim.fn.system({ 'env', 'AGENTLS_TEST_KILL_AT=locked', H.server, '-C', fx.repo, 'land', 'beta' })
  H.assert(H.cli(fx.repo, 'status'):find('interrupted', 1, true), 'status should report the interrupted land')
  vim.cmd('AgentLS recover')
  H.wait_message('recovered: ', 30000)
  H.assert(not H.cli(fx.repo, 'status'):find('interrupted', 1, true), 'nothing interrupted after recover')

  -- new: creates the session and offers to open it; "In a new tab" :tcd's there.
  H.choose('In a new tab')
  vim.cmd('AgentLS new gamma')
  H.wait_message('created session gamma', 30000)
  local gamma = H.session(fx.repo, 'gamma')
  H.assert(gamma and vim.fn.isdirectory(gamma.path) == 1, 'gamma per the CLI: ' .. vim.inspect(gamma))
  H.wait_for('a tab in gamma', 10000, function()
    return vim.fn.getcwd(-1, vim.fn.tabpagenr()) == gamma.path
  end, H.describe)
end)
