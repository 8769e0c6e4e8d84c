-- A collision with many line ranges (long-lived branches differ in thousands of places
-- in one file): the sessions buffer names six of each side's and how many more.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('sessions buffer: six ranges a side, then how many more', function()
  local fx = H.fixture()
  -- alpha and beta both change lines 2, 6, 10, ... 38: ten separate conflicting hunks.
  local mine, theirs = {}, {}
  for line = 2, 38, 4 do
    mine[line], theirs[line] = 'alpha ' .. line, 'beta ' .. line
  end
  H.write(fx.alpha .. '/app.txt', H.numbered(40, mine))
  H.git(fx.alpha, 'commit', '-qam', 'alpha: ten lines')
  H.write(fx.beta .. '/app.txt', H.numbered(40, theirs))

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  H.wait_for('alpha and its conflict with beta', 20000, function()
    return H.text(view):find('alpha +code .*1 conflict') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.cursor_to('^. alpha ')
  H.press('=')
  local text = H.text(view)
  local six = 'line 2, line 6, line 10, line 14, line 18, line 22 and 4 more'
  H.assert(text:find('conflict +app%.txt  ' .. vim.pesc(six) .. '  with beta ' .. vim.pesc(six)), 'six ranges a side:\n' .. text)
  H.assert(not text:find('line 26'), 'the seventh range is not named:\n' .. text)
  H.capture('sessions-many-ranges', vim.api.nvim_buf_get_lines(view, 0, -1, false))
end)
