-- The sessions buffer's keys act, and git (or the CLI's `status --json`)
-- confirms each result: L lands (after asking, with the plan), R renames,
-- c claims, C releases all (after asking), p sets the priority, H writes the
-- handoff note, X removes (after asking).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('sessions buffer keys: land, rename, claim, release, priority, handoff, remove', function()
  local fx = H.fixture()
  H.commit_file(fx.alpha, 'feature.txt', { 'alpha feature' }, 'alpha: add feature.txt')
  local old_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')

  H.setup()
  local buf = H.edit(fx.alpha .. '/feature.txt')
  H.client_of(buf)
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  H.wait_for('alpha ahead by one', 20000, function()
    return H.text(view):find('alpha +code +p%d +%+1') ~= nil
  end, function()
    return H.text(view)
  end)

  -- L: asks first (the dry run's plan in the question), then lands.
  H.cursor_to('^. alpha ')
  H.choose('Land')
  H.press('L')
  H.wait_message('landed alpha', 60000)
  H.assert(H.last_asked().prompt:find('^Land alpha%?'), 'land asks first: ' .. vim.inspect(H.last_asked()))
  local new_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')
  H.assert(new_trunk ~= old_trunk, 'trunk did not move')
  H.eq('alpha feature', H.git(fx.repo, 'show', new_trunk .. ':feature.txt'), 'feature.txt on trunk')

  -- R: renames beta (the name typed into vim.ui.input).
  H.cursor_to('^. beta ')
  H.type('billing')
  H.press('R')
  H.wait_message('renamed beta to billing')
  H.eq(fx.beta, H.session(fx.repo, 'billing').path, 'billing per the CLI')
  H.wait_for('the buffer to show billing', 20000, function()
    return H.text(view):find('\n. billing ') ~= nil
  end, function()
    return H.text(view)
  end)

  -- c: claims globs for billing; p: sets its priority.
  H.cursor_to('^. billing ')
  H.type('lib/** docs/**')
  H.press('c')
  H.wait_message('billing claims lib/** docs/**')
  H.eq({ 'lib/**', 'docs/**' }, H.session(fx.repo, 'billing').claims, 'claims of billing per the CLI')
  H.cursor_to('^. billing ')
  H.type('7')
  H.press('p')
  H.wait_message('billing has priority 7')
  H.eq(7, H.session(fx.repo, 'billing').priority, 'priority of billing per the CLI')

  -- C without globs asks before releasing every claim: "Cancel" keeps them...
  H.wait_for('the claims in the buffer', 20000, function()
    return H.text(view):find('claims lib/%*%* docs/%*%*') ~= nil
  end, function()
    return H.text(view)
  end)
  H.cursor_to('^. billing ')
  H.choose('Cancel')
  H.press('C')
  H.assert(H.last_asked().prompt:find('Release every claim of billing %(lib/%*%*, docs/%*%*%)'), vim.inspect(H.last_asked()))
  H.eq({ 'lib/**', 'docs/**' }, H.session(fx.repo, 'billing').claims, 'claims kept after Cancel')
  -- ...and "Release all" releases them.
  H.choose('Release all')
  H.press('C')
  H.wait_message('billing released all claims')
  H.eq({}, H.session(fx.repo, 'billing').claims, 'claims after Release all')

  -- H: writes billing's HANDOFF.md in its own worktree and opens it.
  vim.cmd('AgentLS')
  H.cursor_to('^. billing ')
  H.press('H')
  H.wait_for("billing's HANDOFF.md opened", 20000, function()
    return vim.api.nvim_buf_get_name(0) == fx.beta .. '/HANDOFF.md'
  end, H.describe)
  H.eq(1, vim.fn.filereadable(fx.beta .. '/HANDOFF.md'), 'HANDOFF.md in beta/')

  -- X: removes the landed alpha after asking; its worktree is gone (git).
  vim.cmd('AgentLS')
  H.cursor_to('^. alpha ')
  H.choose('Remove')
  H.press('X')
  H.wait_message('removed session alpha')
  H.assert(H.last_asked().prompt:find('^Remove session alpha%?'), vim.inspect(H.last_asked()))
  H.assert(not H.git(fx.repo, 'worktree', 'list'):find(fx.alpha, 1, true), 'alpha still a worktree')
  H.eq(nil, H.session(fx.repo, 'alpha'), 'alpha gone per the CLI')
  H.wait_for('alpha gone from the buffer', 20000, function()
    return H.text(view):find('\n. alpha ') == nil
  end, function()
    return H.text(view)
  end)
end)
