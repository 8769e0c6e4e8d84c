-- Approve and land from the review buffer, with trunk's require-review gate on:
-- a land of an unapproved session is refused (worded), r runs trunk's checks
-- on a session's HEAD and the queue shows the result, l asks first (with the
-- plan) and then approves and lands: trunk moves forward to a commit holding
-- the session's work (checked with git), the approval is recorded, and the
-- session leaves the queue.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('review: run checks, approve and land (require-review on)', function()
  local fx = H.fixture()
  H.commit_file(fx.alpha, 'feature.txt', { 'alpha feature' }, 'alpha: add feature.txt')
  -- Trunk, after alpha branched: land only approved heads, and test for the feature.
  H.commit_file(fx.repo, '.agentls.toml', { '[land]', 'require-review = true', 'test = "test -f feature.txt"' }, 'land config: require review')
  local old_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')
  local alpha_head = H.git(fx.alpha, 'rev-parse', 'HEAD')

  H.setup()
  local buf = H.edit(fx.alpha .. '/feature.txt')
  H.client_of(buf)

  -- The gate: a plain land of the unapproved session is refused, nothing moves.
  vim.cmd('AgentLS land alpha')
  H.wait_for('the land to be refused', 30000, function()
    for _, m in ipairs(H.messages) do
      if m.level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, H.describe)
  H.assert(#H.messages_with('alpha') > 0 and H.messages[#H.messages].message:find('require', 1, true), 'refused for want of review: ' .. H.describe())
  H.eq(old_trunk, H.git(fx.repo, 'rev-parse', 'refs/heads/main'), 'trunk did not move')

  vim.cmd('AgentLS review')
  local view = vim.api.nvim_get_current_buf()
  H.wait_for('alpha in the queue', 30000, function()
    return H.text(view):find('alpha: add feature.txt', 1, true) ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.assert(H.text(view):find('require%-review is on'), 'the gate is shown:\n' .. H.text(view))
  H.assert(H.text(view):find('1%. alpha +not reviewed +landable +1 file %+1 %-0 +no collisions +no claims +no checks'), "alpha's row:\n" .. H.text(view))

  -- r: trunk's test on alpha's HEAD tree; the row shows it passed.
  H.cursor_to('^  1%. alpha ')
  H.press('r')
  H.wait_message('checks of alpha: passed', 60000)
  H.wait_for('checks passed in the row', 20000, function()
    return H.text(view):find('1%. alpha .*checks passed') ~= nil
  end, function()
    return H.text(view)
  end)
  H.assert(H.text(view):find('    checks: passed %(run from a review, [^)]*%): test'), 'the checks line:\n' .. H.text(view))
  H.capture('review-buffer-land', vim.api.nvim_buf_get_lines(view, 0, -1, false))

  -- l: asks first, showing the plan; then approves and lands.
  H.cursor_to('^  1%. alpha ')
  H.choose('Approve and land')
  H.press('l')
  H.wait_message('landed alpha', 90000)
  local asked = H.last_asked()
  H.assert(asked.prompt:find('^Approve and land alpha%? alpha lands 1 commit onto main'), 'asks first, with the plan: ' .. vim.inspect(asked))
  H.wait_message('approved alpha at ' .. alpha_head:sub(1, 8))
  for _, m in ipairs(H.messages_with('alpha')) do
    H.assert(not m.message:find('failed', 1, true), 'land reported a failure: ' .. m.message)
  end

  local new_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')
  H.assert(new_trunk ~= old_trunk, 'trunk did not move')
  H.git(fx.repo, 'merge-base', '--is-ancestor', old_trunk, new_trunk) -- forward only
  H.eq('alpha feature', H.git(fx.repo, 'show', new_trunk .. ':feature.txt'), 'feature.txt on trunk')
  H.eq('alpha: add feature.txt', H.git(fx.repo, 'log', '-1', '--format=%s', new_trunk), "trunk's tip is alpha's commit")
  local history = vim.fn.json_decode(H.cli(fx.repo, 'review', '--json'))
  for _, item in ipairs(history.items) do
    H.assert(item.session ~= 'alpha', 'alpha is still queued after landing: ' .. vim.inspect(item))
  end
  H.wait_for('alpha gone from the queue', 30000, function()
    return H.text(view):find('Queue %(0%)') and H.text(view):find('nothing to review', 1, true)
  end, function()
    return H.text(view)
  end)
end)
