-- The sessions buffer (:AgentLS): every session with role, priority, ahead/behind,
-- changes, collisions and claims; it redraws itself when the server reports a
-- change; = shows a session's collisions, <CR> on one opens the file at its
-- lines, O and D open the worktree (:tcd). A capture goes to test-output/nvim/.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('sessions buffer: rows, live refresh, details, opening', function()
  local fx = H.fixture()
  -- alpha: one commit changing line 10 (ahead 1), claims docs/**, priority 2.
  H.write(fx.alpha .. '/app.txt', H.numbered(40, { [10] = 'alpha 10' }))
  H.git(fx.alpha, 'commit', '-qam', 'alpha: line 10')
  H.cli(fx.repo, 'claim', 'alpha', 'docs/**')
  H.cli(fx.repo, 'priority', 'alpha', '2')
  -- beta: the same line, saved but not committed (dirty): a conflict with alpha.
  H.write(fx.beta .. '/app.txt', H.numbered(40, { [10] = 'beta 10' }))
  -- a research fork of beta.
  H.cli(fx.beta, 'fork', 'notes')

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  H.assert(vim.api.nvim_buf_get_name(view):find('^agentls://sessions/'), 'sessions buffer name: ' .. vim.api.nvim_buf_get_name(view))
  H.eq('agentls', vim.bo[view].filetype, 'filetype of the sessions buffer')

  H.wait_for('alpha and beta rows with their conflict', 20000, function()
    local text = H.text(view)
    return text:find('alpha +code +p2 +%+1 %-0') and text:find('1 conflict') and text:find('beta +code .*dirty')
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  local text = H.text(view)
  H.assert(text:find('^agentls  '), 'header line:\n' .. text)
  H.assert(text:find('trunk main'), 'trunk in the header:\n' .. text)
  H.assert(text:find('Sessions %(3%)'), 'three code sessions (repo, alpha, beta):\n' .. text)
  H.assert(text:find('Research %(1%)\n  notes +research'), 'the research fork in its own section:\n' .. text)
  H.assert(text:find('claims docs/%*%*'), "alpha's claim:\n" .. text)
  H.assert(text:find('\n  main +trunk +main +0 changed'), 'the trunk checkout:\n' .. text)

  -- Highlights: the conflict count carries AgentlsConflict (users restyle it).
  local groups = H.highlight_groups(view, 'agentls-sessions', H.cursor_to('^. alpha '))
  H.assert(groups.AgentlsConflict and groups.AgentlsClaim and groups.AgentlsPriority, 'highlights of alpha\'s row: ' .. vim.inspect(vim.tbl_keys(groups)))

  -- = shows alpha's details: branch, folder, claims, and the conflict with beta.
  H.press('=')
  text = H.text(view)
  H.assert(text:find('    branch alpha  ' .. vim.pesc(fx.alpha)), 'details of alpha:\n' .. text)
  H.assert(text:find('    conflict +app%.txt  line 10  with beta line 10'), 'the conflict in the details:\n' .. text)
  H.capture('sessions-buffer', vim.api.nvim_buf_get_lines(view, 0, -1, false))

  -- It redraws itself: beta writes into alpha's claim (an ownership collision).
  vim.fn.mkdir(fx.beta .. '/docs', 'p')
  H.write(fx.beta .. '/docs/guide.md', { 'beta writes docs' })
  H.wait_for('the ownership collision to appear without a keypress', 20000, function()
    return H.text(view):find('beta +code .*1 ownership') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.eq(view, vim.api.nvim_get_current_buf(), 'the cursor stays in the sessions buffer')
  H.assert(vim.api.nvim_get_current_line():find('alpha') or vim.api.nvim_get_current_line():find('conflict'), 'the cursor stays on alpha: ' .. vim.api.nvim_get_current_line())

  -- <CR> on the conflict opens alpha's app.txt at line 10 in the window it came from.
  H.cursor_to('^    conflict +app%.txt')
  H.press('<CR>')
  H.eq(fx.alpha .. '/app.txt', vim.api.nvim_buf_get_name(0), 'file opened from the conflict line')
  H.eq(10, vim.api.nvim_win_get_cursor(0)[1], 'cursor line in alpha/app.txt')

  -- O opens beta's worktree in a new tab whose directory it is; D :tcd's this tab.
  vim.cmd('AgentLS')
  H.eq(view, vim.api.nvim_get_current_buf(), ':AgentLS goes back to the same buffer')
  local tabs = #vim.api.nvim_list_tabpages()
  H.cursor_to('^. beta ')
  H.press('O')
  H.eq(tabs + 1, #vim.api.nvim_list_tabpages(), 'a new tab')
  H.eq(fx.beta, vim.fn.getcwd(-1, vim.fn.tabpagenr()), "the new tab's directory")
  vim.cmd('tabclose')
  vim.cmd('AgentLS')
  H.cursor_to('^. alpha ')
  H.press('D')
  H.eq(fx.alpha, vim.fn.getcwd(-1, vim.fn.tabpagenr()), "this tab's directory after D")

  -- g? shows the keys; ]] moves to the next session.
  vim.cmd('AgentLS')
  H.press('g?')
  H.assert(H.text(view):find('L +land the session'), 'help lists the keys:\n' .. H.text(view))
  H.cursor_to('^. alpha ')
  H.press(']]')
  H.assert(vim.api.nvim_get_current_line():find('^. beta '), ']] moves to beta: ' .. vim.api.nvim_get_current_line())
end)
