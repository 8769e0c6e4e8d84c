-- The code actions on a conflict, applied through vim.lsp.buf.code_action() as a
-- user does: "open beta's version" shows beta's file at the conflicting lines
-- (Neovim 0.7 has no window/showDocument); "compare" opens a native diff tab
-- (beta's version, read-only, beside this file); "claim" claims the file (per
-- the CLI); "handoff" writes this session's HANDOFF.md and opens it.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local function apply(title)
  local labels
  H.choose(function(_, items)
    labels = items
    return title
  end)
  vim.lsp.buf.code_action()
  H.wait_for('the code actions', 20000, function()
    return labels ~= nil
  end, H.describe)
  return labels
end

local function side_by_side(left, right, count)
  local a = vim.api.nvim_buf_get_lines(left, 0, count, false)
  local b = vim.api.nvim_buf_get_lines(right, 0, count, false)
  local lines = { string.format('%-30s | %s', vim.api.nvim_buf_get_name(left), vim.api.nvim_buf_get_name(right)) }
  for i = 1, math.max(#a, #b) do
    local mark = (a[i] ~= b[i]) and '!' or ' '
    table.insert(lines, string.format('%-30s %s %s', a[i] or '', mark, b[i] or ''))
  end
  return lines
end

H.run('code actions: open, compare, claim, handoff', function()
  local fx = H.fixture()
  H.write(fx.beta .. '/app.txt', H.numbered(40, { [10] = 'beta 10', [11] = 'beta 11' }))
  H.git(fx.beta, 'commit', '-qam', 'beta: lines 10-11')

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)
  vim.api.nvim_buf_set_lines(buf, 9, 11, false, { 'alpha 10', 'alpha 11' })
  H.wait_for('the conflict diagnostic on line 10', 20000, function()
    local d = H.diagnostics(buf)[1]
    return d ~= nil and d.lnum == 9
  end, H.describe)
  local alpha_win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_cursor(0, { 10, 0 })

  -- open beta's version: beta/app.txt at line 10.
  local labels = apply("open beta's version")
  H.wait_for("beta's app.txt to open", 20000, function()
    return vim.api.nvim_buf_get_name(0) == fx.beta .. '/app.txt'
  end, function()
    return vim.inspect(labels) .. '\n' .. H.describe()
  end)
  H.eq(10, vim.api.nvim_win_get_cursor(0)[1], "cursor line in beta's app.txt")
  -- One action of each kind: no duplicates.
  local seen = {}
  for _, label in ipairs(labels) do
    H.assert(not seen[label], 'duplicate code action: ' .. label)
    seen[label] = true
  end

  -- compare: a tab with beta's version (left, read-only) and alpha's file, in diff mode.
  -- (0.10+ shows beta's file through window/showDocument, in the current window.)
  vim.api.nvim_set_current_win(alpha_win)
  vim.api.nvim_set_current_buf(buf)
  vim.api.nvim_win_set_cursor(0, { 10, 0 })
  local tabs = #vim.api.nvim_list_tabpages()
  apply('compare with beta')
  H.wait_for('the diff tab', 20000, function()
    return #vim.api.nvim_list_tabpages() == tabs + 1
  end, H.describe)
  local wins = vim.api.nvim_tabpage_list_wins(0)
  H.eq(2, #wins, 'windows in the diff tab')
  local left, right = vim.api.nvim_win_get_buf(wins[1]), vim.api.nvim_win_get_buf(wins[2])
  H.eq('agentls://beta/app.txt', vim.api.nvim_buf_get_name(left), 'left: beta\'s version')
  H.eq(fx.alpha .. '/app.txt', vim.api.nvim_buf_get_name(right), "right: alpha's file")
  H.assert(vim.wo[wins[1]].diff and vim.wo[wins[2]].diff, 'both windows in diff mode')
  H.eq(false, vim.bo[left].modifiable, "beta's version is read-only")
  H.eq({ 'beta 10', 'beta 11' }, vim.api.nvim_buf_get_lines(left, 9, 11, false), "beta's lines on the left")
  H.eq({ 'alpha 10', 'alpha 11' }, vim.api.nvim_buf_get_lines(right, 9, 11, false), "alpha's unsaved lines on the right")
  H.capture('compare-diff', side_by_side(left, right, 14))
  vim.api.nvim_set_current_win(wins[1])
  H.press('q')
  H.eq(tabs, #vim.api.nvim_list_tabpages(), 'q closes the diff tab')

  -- claim: alpha claims app.txt.
  vim.api.nvim_set_current_win(alpha_win)
  vim.api.nvim_set_current_buf(buf)
  vim.api.nvim_win_set_cursor(0, { 10, 0 })
  apply('claim app.txt')
  H.wait_message('alpha claims app.txt', 20000)
  H.eq({ 'app.txt' }, H.session(fx.repo, 'alpha').claims, "alpha's claims per the CLI")

  -- handoff: alpha's own HANDOFF.md, opened; beta's worktree untouched.
  vim.api.nvim_win_set_cursor(0, { 10, 0 })
  apply('handoff')
  H.wait_for("alpha's HANDOFF.md opened", 20000, function()
    return vim.api.nvim_buf_get_name(0) == fx.alpha .. '/HANDOFF.md'
  end, H.describe)
  H.eq(0, vim.fn.filereadable(fx.beta .. '/HANDOFF.md'), 'nothing written into beta')
end)
