-- Claims: a claim another session holds is refused (naming it and :AgentLS!
-- claim); :AgentLS! claim TAKES it (the other session no longer holds it, per
-- the CLI); <Tab> completes globs from the worktree and, for release, the
-- session's claims; :AgentLS release without globs asks before dropping all.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('claims: refused, taken with !, completed, released after asking', function()
  local fx = H.fixture()
  H.cli(fx.repo, 'claim', 'beta', 'src/**')
  vim.fn.mkdir(fx.alpha .. '/lib', 'p')
  H.write(fx.alpha .. '/lib/util.txt', { 'util' })

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)

  -- Completion of globs: this file, folders as dir/**, files, below a typed folder.
  local complete = require('agentls').complete
  H.wait_for('glob completion', 20000, function()
    local found = complete('', 'AgentLS claim ')
    return vim.tbl_contains(found, 'app.txt') and vim.tbl_contains(found, 'lib/**')
  end, function()
    return vim.inspect(complete('', 'AgentLS claim '))
  end)
  H.eq({ 'lib/**', 'lib/' }, complete('li', 'AgentLS claim li'), 'completion of "li"')
  H.eq({ 'lib/util.txt' }, complete('lib/', 'AgentLS claim lib/'), 'completion inside lib/')
  H.eq({ 'lib/**', 'lib/' }, complete('li', 'AgentLS! claim app.txt li'), 'completion of a second glob')

  -- Without !: refused, nothing changes, and the message names the owner.
  vim.cmd('AgentLS claim src/**')
  local refused = H.wait_message('src/**', 20000, vim.log.levels.WARN)
  H.assert(refused.message:find('beta', 1, true), 'the refusal names beta: ' .. refused.message)
  H.eq({ 'src/**' }, H.session(fx.repo, 'beta').claims, "beta's claims after the refusal")
  H.eq({}, H.session(fx.repo, 'alpha').claims, "alpha's claims after the refusal")

  -- With !: alpha takes it; beta no longer claims it.
  vim.cmd('AgentLS! claim src/**')
  H.wait_message('alpha took src/**', 20000)
  H.eq({ 'src/**' }, H.session(fx.repo, 'alpha').claims, "alpha's claims after :AgentLS! claim")
  H.eq({}, H.session(fx.repo, 'beta').claims, "beta's claims after :AgentLS! claim")

  vim.cmd('AgentLS claim lib/**')
  H.wait_message('alpha claims lib/**', 20000)
  H.eq({ 'src/**', 'lib/**' }, complete('', 'AgentLS release '), 'release completes the claims')

  -- Release of named globs needs no question; release of all asks first.
  vim.cmd('AgentLS release lib/**')
  H.wait_message('alpha released lib/**', 20000)
  H.eq({ 'src/**' }, H.session(fx.repo, 'alpha').claims, 'claims after releasing lib/**')
  H.choose('Cancel')
  vim.cmd('AgentLS release')
  H.assert(H.last_asked().prompt:find('Release every claim of alpha %(src/%*%*%)'), vim.inspect(H.last_asked()))
  H.eq({ 'src/**' }, H.session(fx.repo, 'alpha').claims, 'claims kept after Cancel')
  H.choose('Release all')
  vim.cmd('AgentLS release')
  H.wait_message('alpha released all claims', 20000)
  H.eq({}, H.session(fx.repo, 'alpha').claims, 'claims after Release all')
end)
