-- The review buffer's verdicts, checked with the CLI and the files: c opens a
-- notes buffer whose :w writes the reviewer's notes into the session's
-- HANDOFF.md (its own notes kept byte for byte) and :q cancels; s skips; a
-- approves; a new commit makes the session "changed since review" without a
-- keypress, and <CR> on a file listed since the review diffs it against the
-- reviewed head; a verdict on a head that moved is refused; the sessions
-- buffer shows the states; X removes after asking.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local OWN_NOTES = { '# My notes', 'I am halfway: the parser is next.' }

local function review_of(cwd, name)
  return vim.fn.json_decode(H.cli(cwd, 'review', name, '--json')).item.review
end

H.run('review verdicts: request changes, skip, approve, changed since review, remove', function()
  local fx = H.fixture()
  H.write(fx.alpha .. '/app.txt', H.numbered(40, { [10] = 'alpha 10' }))
  H.git(fx.alpha, 'commit', '-qam', 'alpha: line 10')
  H.write(fx.alpha .. '/HANDOFF.md', OWN_NOTES) -- the agent's own notes (untracked)
  H.commit_file(fx.beta, 'billing.txt', { 'beta billing' }, 'beta: billing')
  H.cli(fx.repo, 'priority', 'alpha', '1')
  H.cli(fx.repo, 'priority', 'beta', '2')

  H.setup()
  local buf = H.edit(fx.repo .. '/README.md')
  H.client_of(buf)
  vim.cmd('AgentLS review')
  local view = vim.api.nvim_get_current_buf()
  local function wait_text(what, pattern)
    H.wait_for(what, 30000, function()
      return H.text(view):find(pattern) ~= nil
    end, function()
      return H.text(view) .. '\n' .. H.describe()
    end)
  end
  wait_text('both sessions in the queue', 'beta: billing')
  H.assert(H.text(view):find('    notes: HANDOFF%.md'), "alpha's notes are listed:\n" .. H.text(view))

  -- c on alpha: a notes buffer; :q cancels (nothing recorded, HANDOFF.md untouched).
  H.cursor_to('^  1%. alpha ')
  H.press('c')
  local notes = require('agentls.review.notes').buffer('alpha')
  H.assert(notes and vim.api.nvim_get_current_buf() == notes, 'c opens the notes buffer')
  H.eq('agentls://review/alpha/request-changes', vim.api.nvim_buf_get_name(notes), 'notes buffer name')
  vim.api.nvim_buf_set_lines(notes, 0, -1, false, { 'a draft' })
  vim.cmd('quit')
  H.wait_message('request changes from alpha cancelled: nothing sent')
  H.wait_for('the cancelled notes buffer to go', 5000, function()
    return not vim.api.nvim_buf_is_valid(notes)
  end)
  H.eq('unreviewed', review_of(fx.repo, 'alpha').state, 'nothing recorded after cancelling')
  H.eq(OWN_NOTES, vim.fn.readfile(fx.alpha .. '/HANDOFF.md'), 'HANDOFF.md untouched after cancelling')

  -- c again: the draft is back; the reviewer writes the notes and :w sends them.
  vim.api.nvim_set_current_win(vim.fn.bufwinid(view))
  H.cursor_to('^  1%. alpha ')
  H.press('c')
  notes = require('agentls.review.notes').buffer('alpha')
  H.eq({ 'a draft' }, vim.api.nvim_buf_get_lines(notes, 0, -1, false), 'the draft comes back')
  vim.api.nvim_buf_set_lines(notes, 0, -1, false, { 'Add a test for the empty input.', 'Keep line 10 as it was.' })
  vim.cmd('write')
  H.wait_message('requested changes from alpha at')
  H.wait_for('the notes buffer to close', 10000, function()
    return not vim.api.nvim_buf_is_valid(notes)
  end)
  local review = review_of(fx.repo, 'alpha')
  H.eq('changes-requested', review.state, "alpha's review per the CLI")
  H.eq('Add a test for the empty input.\nKeep line 10 as it was.', review.notes, 'the notes recorded')
  local handoff = vim.fn.readfile(fx.alpha .. '/HANDOFF.md')
  H.eq(OWN_NOTES, vim.list_slice(handoff, 1, #OWN_NOTES), "the session's own notes stay first, byte for byte")
  local handoff_text = table.concat(handoff, '\n')
  H.assert(handoff_text:find('> Add a test for the empty input.\n> Keep line 10 as it was.', 1, true), 'the notes quoted in HANDOFF.md:\n' .. handoff_text)
  H.assert(handoff_text:find('Read HANDOFF.md and continue.', 1, true) and handoff_text:find('The reviewer asks: Add a test', 1, true), 'the resume prompt:\n' .. handoff_text)
  wait_text('alpha: changes requested', '1%. alpha +changes requested')
  H.assert(H.text(view):find('      > Keep line 10 as it was.', 1, true), 'the notes in alpha\'s section:\n' .. H.text(view))
  -- The sweep goes on: the cursor is on the next session.
  H.wait_for('the cursor on beta', 5000, function()
    return vim.api.nvim_get_current_line():find('^2%. beta ') ~= nil
  end, function()
    return vim.api.nvim_get_current_line()
  end)

  -- s skips beta; a approves it (checked with the CLI).
  H.press('s')
  H.wait_message('skipped beta at')
  H.eq('skipped', review_of(fx.repo, 'beta').state, "beta's review after s")
  wait_text('beta: skipped', '2%. beta +skipped')
  H.cursor_to('^  2%. beta ')
  H.press('a')
  H.wait_message('approved beta at')
  review = review_of(fx.repo, 'beta')
  H.eq({ 'approved', true }, { review.state, review.approved }, "beta's review after a")
  wait_text('beta approved', '2%. beta +✓ approved')

  -- The sessions buffer shows the states too.
  vim.cmd('AgentLS')
  local sessions_view = vim.api.nvim_get_current_buf()
  H.wait_for('review states in the sessions buffer', 20000, function()
    local text = H.text(sessions_view)
    return text:find('\n  alpha .*changes requested') and text:find('\n  beta .*✓ approved')
  end, function()
    return H.text(sessions_view)
  end)
  H.capture('review-sessions-buffer', vim.api.nvim_buf_get_lines(sessions_view, 0, -1, false))
  -- V on beta's row: the review, at beta's section.
  H.cursor_to('^  beta ')
  H.press('V')
  H.eq(view, vim.api.nvim_get_current_buf(), 'V goes to the review buffer')
  H.wait_for("the cursor on beta's section", 20000, function()
    return vim.api.nvim_get_current_line():find('^2%. beta ') ~= nil
  end, function()
    return vim.api.nvim_get_current_line()
  end)
  vim.cmd('AgentLS')
  vim.cmd('close')

  -- beta commits again: "changed since review" in both buffers, without a keypress
  -- (once the refresh of entering the review buffer is done, only a notification
  -- can bring it).
  local buffer = require('agentls.review.buffer')
  H.wait_for('the review buffer to settle', 10000, function()
    return buffer.idle(view)
  end)
  local reviewed = H.git(fx.beta, 'rev-parse', 'HEAD')
  H.write(fx.beta .. '/billing.txt', { 'beta billing', 'and a second line' })
  H.git(fx.beta, 'commit', '-qam', 'beta: billing, second line')
  wait_text('beta changed since review', '2%. beta +changed since review')
  wait_text('what changed since the review', 'since review %(' .. reviewed:sub(1, 8) .. '%): 1 new commit')
  H.assert(H.text(view):find('approved by Test [^\n]* at ' .. reviewed:sub(1, 8) .. '; changed since review'), "beta's review line:\n" .. H.text(view))
  vim.cmd('AgentLS')
  sessions_view = vim.api.nvim_get_current_buf()
  H.wait_for('changed since review in the sessions buffer', 20000, function()
    return H.text(sessions_view):find('\n  beta .*changed since review') ~= nil
  end, function()
    return H.text(sessions_view)
  end)
  vim.cmd('close')
  H.capture('review-buffer-verdicts', vim.api.nvim_buf_get_lines(view, 0, -1, false))

  -- <CR> on the file listed since the review: the reviewed head against now.
  vim.api.nvim_set_current_win(vim.fn.bufwinid(view))
  local line = H.cursor_to('^    since review')
  vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
  H.assert(vim.api.nvim_get_current_line():find('M  billing%.txt +%+1 %-0'), 'the file since the review: ' .. vim.api.nvim_get_current_line())
  H.press('<CR>')
  H.wait_for('the since-review diff tab', 20000, function()
    return vim.t.agentls_review and vim.t.agentls_review.path == 'billing.txt'
  end, H.describe)
  local wins = vim.api.nvim_tabpage_list_wins(0)
  H.eq({ 'beta billing' }, vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(wins[1]), 0, -1, false), 'left: billing.txt at the reviewed head')
  H.assert(vim.wo[wins[1]].statusline:find('@ reviewed ' .. reviewed:sub(1, 8), 1, true), 'left label: ' .. vim.wo[wins[1]].statusline)
  H.eq({ 'beta billing', 'and a second line' }, vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(wins[2]), 0, -1, false), 'right: billing.txt now')
  H.press('q')

  -- A verdict on the head looked at before the commit is refused, worded.
  local client = require('agentls.review').client_for(view)
  require('agentls.review.verbs').approve({ client = client, bufnr = view }, { session = 'beta', head = reviewed })
  H.wait_message('beta moved while', 20000)
  H.assert(review_of(fx.repo, 'beta').changedSinceReview, 'the stale approval was not recorded')

  -- X removes beta after asking (it has unlanded work: asks again); git agrees.
  H.cursor_to('^  2%. beta ')
  H.choose('Remove')
  H.choose('Remove anyway')
  H.press('X')
  H.wait_message('removed session beta')
  H.assert(not H.git(fx.repo, 'worktree', 'list'):find(fx.beta, 1, true), 'beta is no longer a worktree')
  wait_text('beta gone from the queue', 'Queue %(1%)')
end)
