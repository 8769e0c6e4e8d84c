-- :AgentLS review lists the queue in cascade order (state, landability, diffstat,
-- collisions, scope, checks), then each session's commits and files; <CR> on a
-- file opens a diff tab whose two sides are the file at the merge-base and the
-- worktree's current version (unsaved text included), checked against git; ]f
-- and [f walk the files; q goes back. Captures go to test-output/nvim/.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local function lines_of(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

--- The lines of `path` at `commit`, as git has them.
local function git_lines(cwd, commit, path)
  return vim.split(H.git(cwd, 'show', commit .. ':' .. path), '\n', { plain = true })
end

H.run('review buffer: the queue, sections, a diff tab against git', function()
  local fx = H.fixture()
  -- alpha (earlier in the sweep): changes line 10 and adds feature.txt in one
  -- commit, claims docs/** (so both files are outside its claims), then edits
  -- line 30 without committing (it cannot land now).
  H.write(fx.alpha .. '/app.txt', H.numbered(40, { [10] = 'alpha 10' }))
  H.write(fx.alpha .. '/feature.txt', { 'alpha feature', 'second line' })
  H.git(fx.alpha, 'add', '-A')
  H.git(fx.alpha, 'commit', '-qm', 'alpha: line 10 and a feature')
  H.write(fx.alpha .. '/app.txt', H.numbered(40, { [10] = 'alpha 10', [30] = 'alpha 30, not committed' }))
  H.cli(fx.repo, 'claim', 'alpha', 'docs/**')
  H.cli(fx.repo, 'priority', 'alpha', '1')
  -- beta: one clean commit, landable.
  H.commit_file(fx.beta, 'billing.txt', { 'beta billing' }, 'beta: billing')
  H.cli(fx.repo, 'priority', 'beta', '5')
  local base = H.git(fx.repo, 'rev-parse', 'refs/heads/main')

  H.setup()
  local buf = H.edit(fx.repo .. '/README.md')
  H.client_of(buf)
  vim.cmd('AgentLS review')
  local view = vim.api.nvim_get_current_buf()
  local review_tab = vim.api.nvim_get_current_tabpage()
  H.assert(vim.api.nvim_buf_get_name(view):find('^agentls://review/'), 'review buffer name: ' .. vim.api.nvim_buf_get_name(view))
  H.eq('agentlsreview', vim.bo[view].filetype, 'filetype of the review buffer')
  H.wait_for('the queue and both sections', 30000, function()
    local text = H.text(view)
    return text:find('Queue %(2%)') and text:find('alpha: line 10 and a feature') and text:find('beta: billing')
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  local text = H.text(view)
  H.assert(text:find('^agentls review  '), 'header:\n' .. text)
  H.assert(text:find('trunk main ' .. base:sub(1, 8), 1, true), 'trunk in the header:\n' .. text)
  -- The queue in cascade order: alpha (priority 1) before beta (5).
  local alpha_row = text:find('\n  1%. alpha ')
  local beta_row = text:find('\n  2%. beta ')
  H.assert(alpha_row and beta_row and alpha_row < beta_row, 'alpha then beta in the queue:\n' .. text)
  H.assert(text:find('1%. alpha +not reviewed +blocked: uncommitted work +2 files %+4 %-2 +no collisions +2 outside claims +no checks'), "alpha's row:\n" .. text)
  H.assert(text:find('2%. beta +not reviewed +landable +1 file %+1 %-0 +no collisions +no claims +no checks'), "beta's row:\n" .. text)
  H.assert(text:find('not queued: [^\n]*main %(trunk%)'), 'trunk is not queued:\n' .. text)
  -- alpha's section: its commit, its files with line counts, the uncommitted one marked.
  H.assert(text:find('\n1%. alpha  not reviewed  branch alpha'), "alpha's section header:\n" .. text)
  H.assert(text:find('    scope: claims docs/%*%*; outside them: app%.txt, feature%.txt'), "alpha's scope:\n" .. text)
  local commit = H.git(fx.alpha, 'rev-parse', 'HEAD')
  H.assert(text:find('      ' .. commit:sub(1, 10) .. '  alpha: line 10 and a feature', 1, true), "alpha's commit:\n" .. text)
  H.assert(text:find('      M  app%.txt +%+2 %-2  uncommitted'), "app.txt in alpha's files:\n" .. text)
  H.assert(text:find('      A  feature%.txt +%+2 %-0'), "feature.txt in alpha's files:\n" .. text)
  H.assert(text:find('      1 file with uncommitted work', 1, true), "alpha's blocker:\n" .. text)

  -- Highlights: the review state and landability carry their groups (users restyle them).
  local groups = H.highlight_groups(view, 'agentls-review', H.cursor_to('^  2%. beta '))
  H.assert(groups.AgentlsUnreviewed and groups.AgentlsLandable and groups.AgentlsSession, "highlights of beta's row: " .. vim.inspect(vim.tbl_keys(groups)))

  -- An unsaved edit of alpha's app.txt in this Neovim is part of the review.
  vim.cmd('tabfirst')
  local edited = H.edit(fx.alpha .. '/app.txt')
  vim.api.nvim_buf_set_lines(edited, 34, 35, false, { 'alpha 35, unsaved' })
  local client = H.client_of(edited)
  H.wait_for('the server to count the unsaved line', 20000, function()
    local _, answer = require('agentls.client').execute_sync(client, 'agentls.review.item', { session = 'alpha' }, 5000)
    local files = answer and answer.item and answer.item.files or {}
    return files[1] and files[1].path == 'app.txt' and files[1].insertions == 3
  end, H.describe)
  -- Entering the review buffer reads the queue again (no notification says a diff grew).
  vim.api.nvim_set_current_tabpage(review_tab)
  vim.api.nvim_set_current_win(vim.fn.bufwinid(view))
  H.wait_for('the unsaved line in the counts of app.txt', 30000, function()
    return H.text(view):find('      M  app%.txt +%+3 %-3  uncommitted') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.capture('review-buffer', lines_of(view))

  -- <CR> on app.txt: a new tab, base on the left, the current version on the right.
  H.cursor_to('^      M  app%.txt')
  H.press('<CR>')
  H.wait_for('the diff tab of app.txt', 20000, function()
    local tab = vim.t.agentls_review
    return tab and tab.path == 'app.txt' and vim.api.nvim_get_current_tabpage() ~= review_tab
  end, H.describe)
  local diff_tab = vim.api.nvim_get_current_tabpage()
  local wins = vim.api.nvim_tabpage_list_wins(diff_tab)
  H.eq(2, #wins, 'two windows in the diff tab')
  local left, right = vim.api.nvim_win_get_buf(wins[1]), vim.api.nvim_win_get_buf(wins[2])
  H.eq(git_lines(fx.alpha, base, 'app.txt'), lines_of(left), 'left: app.txt at the merge-base (git show base:app.txt)')
  local current = vim.fn.readfile(fx.alpha .. '/app.txt')
  H.eq('alpha 30, not committed', current[30], 'line 30 on disk')
  current[35] = 'alpha 35, unsaved'
  H.eq(current, lines_of(right), "right: alpha's current app.txt, uncommitted and unsaved text included")
  H.assert(vim.wo[wins[1]].diff and vim.wo[wins[2]].diff, 'both windows in diff mode')
  H.assert(not vim.bo[left].modifiable and not vim.bo[right].modifiable, 'both sides are read-only')
  H.assert(vim.wo[wins[1]].statusline:find('alpha: app.txt @ base ' .. base:sub(1, 8), 1, true), 'left label: ' .. vim.wo[wins[1]].statusline)
  H.assert(vim.wo[wins[2]].statusline:find('file 1/2', 1, true), 'right label: ' .. vim.wo[wins[2]].statusline)
  -- Read through agentls.fileVersion when the server has it (its label says the
  -- text is unsaved), else from git (the item's snapshot of the current state).
  local via_server = require('agentls.client').advertised(client, 'agentls.fileVersion')
  local expected_label = via_server and 'alpha: app.txt (unsaved)' or 'alpha: app.txt (current)'
  H.assert(vim.wo[wins[2]].statusline:find(expected_label, 1, true), 'right label: ' .. vim.wo[wins[2]].statusline)
  local capture = { '--- left: ' .. vim.wo[wins[1]].statusline }
  vim.list_extend(capture, lines_of(left))
  table.insert(capture, '--- right: ' .. vim.wo[wins[2]].statusline)
  vim.list_extend(capture, lines_of(right))
  H.capture('review-diff-tab', capture)

  -- ]f: the next file in the same tab (feature.txt: absent at the base).
  H.press(']f')
  H.wait_for('feature.txt in the diff tab', 20000, function()
    local tab = vim.t.agentls_review
    return tab and tab.path == 'feature.txt'
  end, H.describe)
  H.eq(diff_tab, vim.api.nvim_get_current_tabpage(), ']f stays in the tab')
  wins = vim.api.nvim_tabpage_list_wins(diff_tab)
  H.eq({ '' }, lines_of(vim.api.nvim_win_get_buf(wins[1])), 'left: feature.txt is not in the base (an empty buffer)')
  H.assert(vim.wo[wins[1]].statusline:find('not there', 1, true), 'left label says so: ' .. vim.wo[wins[1]].statusline)
  H.eq(git_lines(fx.alpha, 'HEAD', 'feature.txt'), lines_of(vim.api.nvim_win_get_buf(wins[2])), 'right: feature.txt')
  -- [f goes back; q closes the tab and returns to the review.
  H.press('[f')
  H.wait_for('app.txt again', 20000, function()
    return vim.t.agentls_review and vim.t.agentls_review.path == 'app.txt'
  end, H.describe)
  -- The verdicts work from the diff tab too: s skips alpha at the head shown.
  H.press('s')
  H.wait_message('skipped alpha at ' .. commit:sub(1, 8))
  H.eq('skipped', vim.fn.json_decode(H.cli(fx.repo, 'review', 'alpha', '--json')).item.review.state, "alpha's review per the CLI")
  H.eq(diff_tab, vim.api.nvim_get_current_tabpage(), 'still in the diff tab')
  local tabs = #vim.api.nvim_list_tabpages()
  H.press('q')
  H.eq(tabs - 1, #vim.api.nvim_list_tabpages(), 'q closes the diff tab')
  H.eq(review_tab, vim.api.nvim_get_current_tabpage(), 'back in the review tab')

  -- A server without agentls.fileVersion (older than the editor contract): the
  -- same two versions, read with git (the base, and the item's snapshot of the
  -- current state, which holds the unsaved text the server has).
  local provider = client.server_capabilities.executeCommandProvider
  local advertised = provider.commands
  provider.commands = vim.tbl_filter(function(name)
    return name ~= 'agentls.fileVersion'
  end, advertised)
  H.cursor_to('^      M  app%.txt')
  H.press('<CR>')
  H.wait_for('the diff tab of app.txt read with git', 20000, function()
    return vim.t.agentls_review and vim.t.agentls_review.path == 'app.txt' and vim.api.nvim_get_current_tabpage() ~= review_tab
  end, H.describe)
  wins = vim.api.nvim_tabpage_list_wins(0)
  H.eq(git_lines(fx.alpha, base, 'app.txt'), lines_of(vim.api.nvim_win_get_buf(wins[1])), 'left from git: app.txt at the merge-base')
  H.eq(current, lines_of(vim.api.nvim_win_get_buf(wins[2])), 'right from the snapshot: uncommitted and unsaved text included')
  H.assert(vim.wo[wins[2]].statusline:find('alpha: app.txt (current)', 1, true), 'right label: ' .. vim.wo[wins[2]].statusline)
  provider.commands = advertised
  H.press('q')
  H.eq(review_tab, vim.api.nvim_get_current_tabpage(), 'back in the review tab')

  -- ]] / [[ move between the sessions' sections; = folds one.
  H.cursor_to('^1%. alpha ')
  H.press(']]')
  H.assert(vim.api.nvim_get_current_line():find('^2%. beta '), ']] moves to beta: ' .. vim.api.nvim_get_current_line())
  H.press('=')
  H.assert(not H.text(view):find('beta: billing', 1, true), '= folds beta:\n' .. H.text(view))
  H.press('=')
  H.assert(H.text(view):find('beta: billing', 1, true), '= unfolds beta:\n' .. H.text(view))
  H.press('[[')
  H.assert(vim.api.nvim_get_current_line():find('^1%. alpha '), '[[ moves back to alpha: ' .. vim.api.nvim_get_current_line())
  -- g? lists the keys.
  H.press('g?')
  H.assert(H.text(view):find('l +approve and land now'), 'help lists the keys:\n' .. H.text(view))

  -- review_order = 'newest-first' reverses the sweep (the server's order).
  H.setup({ review_order = 'newest-first' })
  H.press('<C-r>')
  H.wait_for('the queue newest first', 20000, function()
    local now = H.text(view)
    return now:find('newest first', 1, true) and now:find('\n  1%. beta ') and now:find('\n  2%. alpha ')
  end, function()
    return H.text(view)
  end)
end)
