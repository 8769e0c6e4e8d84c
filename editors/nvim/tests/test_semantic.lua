-- Semantic conflicts in Neovim (docs/semantic.md): a trunk that enables semantic
-- checks, alpha renames a function, beta calls it by its old name in another file;
-- git merges them cleanly, yet merged the tests fail. The sessions buffer says where
-- the checks stand, :AgentLS verify finds it, = shows it under the session (its
-- failing test, the command), <CR> opens the test at its line, gl the full log, the
-- diagnostic sits on the failing assertion, :AgentLS overlaps lists each session's
-- own file, :AgentLS checks allow asks first and turns background checks on.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local TEST = 'python3 -m unittest discover -q -s tests -t .'

H.run('semantic checks: status, verify, the sessions buffer, log, diagnostics, opt-in', function()
  local fx = H.fixture()
  vim.fn.mkdir(fx.repo .. '/shop', 'p')
  vim.fn.mkdir(fx.repo .. '/tests', 'p')
  H.write(fx.repo .. '/shop/__init__.py', {})
  H.write(fx.repo .. '/shop/prices.py', { 'def total(prices):', '    return sum(prices)' })
  H.write(fx.repo .. '/tests/__init__.py', {})
  H.write(fx.repo .. '/tests/test_prices.py', {
    'import unittest', '', 'from shop import prices', '', '',
    'class PricesTest(unittest.TestCase):', '    def test_total(self):', '        self.assertEqual(prices.total([1, 2]), 3)',
  })
  H.write(fx.repo .. '/.agentls.toml', { '[land]', 'test = "' .. TEST .. '"', '', '[verify]', 'enabled = true' })
  H.git(fx.repo, 'add', '-A')
  H.git(fx.repo, 'commit', '-qm', 'shop with semantic checks')
  for _, wt in ipairs({ fx.alpha, fx.beta }) do
    H.git(wt, 'merge', '-q', '--ff-only', 'main')
  end
  -- alpha: total() becomes sum_prices() (its own test follows): passes alone.
  H.write(fx.alpha .. '/shop/prices.py', { 'def sum_prices(prices):', '    return sum(prices)' })
  local test_prices = vim.fn.readfile(fx.alpha .. '/tests/test_prices.py')
  test_prices[8] = '        self.assertEqual(prices.sum_prices([1, 2]), 3)'
  H.write(fx.alpha .. '/tests/test_prices.py', test_prices)
  H.git(fx.alpha, 'commit', '-qam', 'alpha: rename total')
  -- beta: a checkout calling total(), and its test: passes alone.
  H.write(fx.beta .. '/shop/cart.py', { 'from shop import prices', '', '', 'def checkout(items):', '    return prices.total(items) + 5' })
  H.write(fx.beta .. '/tests/test_cart.py', {
    'import unittest', '', 'from shop import cart', '', '',
    'class CartTest(unittest.TestCase):', '    def test_checkout(self):', '        self.assertEqual(cart.checkout([1, 2]), 8)',
  })
  H.git(fx.beta, 'add', '-A')
  H.git(fx.beta, 'commit', '-qm', 'beta: checkout')

  H.setup()
  local test_file = fx.beta .. '/tests/test_cart.py'
  local source = H.edit(test_file)
  H.client_of(source)
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  -- Trunk enables checks, this user has not allowed background ones: by hand, one pair waits.
  H.wait_for('the checks line in the header', 30000, function()
    return H.text(view):find('semantic checks: by hand %(background checks not allowed: :AgentLS checks allow%), 1 queued') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)

  -- v verifies now: a person's request, no opt-in needed.
  H.press('v')
  local found = H.wait_message('semantic conflict: alpha + beta', 120000, vim.log.levels.WARN)
  H.assert(found.message:find('each passes alone', 1, true), 'why it is one: ' .. found.message)
  H.assert(found.message:find('full log: .*%-test%.log'), 'where its log is: ' .. found.message)
  H.wait_for('beta to count its semantic collision', 30000, function()
    return H.text(view):find('beta +code .*1 semantic conflict') ~= nil and H.text(view):find('semantic checks: by hand %(') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.assert(not H.text(view):find('queued'), 'nothing queued once the pair has its verdict:\n' .. H.text(view))

  -- = on beta: the semantic collision, on its own failing test, with what failed.
  H.cursor_to('^. beta ')
  H.press('=')
  local text = H.text(view)
  local line_pattern = '    semantic +tests/test_cart%.py  line 8  with alpha  %[test `' .. vim.pesc(TEST) .. '` exit 1: test_checkout%]'
  H.assert(text:find(line_pattern), 'the semantic collision in beta\'s details:\n' .. text)
  -- alpha sees it on its own first changed file (the test is not in its tree).
  H.cursor_to('^. alpha ')
  H.press('=')
  text = H.text(view)
  H.assert(text:find('    semantic +shop/prices%.py  with beta  %[test'), 'the semantic collision in alpha\'s details:\n' .. text)
  H.capture('sessions-semantic', vim.api.nvim_buf_get_lines(view, 0, -1, false))

  -- gl: the full log of the failing command.
  H.cursor_to('^    semantic +tests/test_cart')
  H.press('gl')
  H.assert(vim.api.nvim_buf_get_name(0):find('/agentls/semantic/logs/.*%-test%.log$'), 'the log is open: ' .. vim.api.nvim_buf_get_name(0))
  H.assert(H.text(0):find('FAILED %(errors=1%)'), 'the log holds the failure:\n' .. H.text(0))
  vim.cmd('close')

  -- <CR>: the failing test at its line, in beta's worktree.
  vim.api.nvim_set_current_win(vim.fn.bufwinid(view))
  H.cursor_to('^    semantic +tests/test_cart')
  H.press('<CR>')
  H.eq(test_file, vim.api.nvim_buf_get_name(0), 'the failing test opened')
  H.eq(8, vim.api.nvim_win_get_cursor(0)[1], 'at the failing assertion')

  -- The diagnostic: on that line, code semantic.
  H.wait_for('the semantic diagnostic on test_cart.py', 30000, function()
    for _, d in ipairs(H.diagnostics(source)) do
      if d.code == 'semantic' and d.lnum == 7 then
        return true
      end
    end
    return false
  end, H.describe)

  -- :AgentLS overlaps: each session at its own file.
  vim.cmd('AgentLS overlaps')
  local items = vim.fn.getqflist()
  local files = {}
  for _, item in ipairs(items) do
    if item.text:find('^semantic: ') then
      files[vim.fn.bufname(item.bufnr)] = item.text
    end
  end
  H.assert(files[fx.beta .. '/tests/test_cart.py'], 'beta\'s quickfix item: ' .. vim.inspect(files))
  H.assert(files[fx.alpha .. '/shop/prices.py'], 'alpha\'s quickfix item: ' .. vim.inspect(files))
  H.assert(files[fx.beta .. '/tests/test_cart.py']:find('vs alpha .*exit 1: test_checkout'), 'the item says what failed: ' .. vim.inspect(files))
  vim.cmd('cclose')
  -- A rename's conflict is listed at both paths (docs/concepts.md): each session has
  -- one entry, in the file it has.
  local renamed = require('agentls.commands').quickfix_items({
    sessions = { { name = 's1', path = '/r/s1' }, { name = 's2', path = '/r/s2' } },
    overlaps = {
      { kind = 'conflict', path = 'b.py', sessions = { 's1', 's2' }, ranges = { s1 = { { 2, 2 } }, s2 = { { 3, 3 } } }, detail = {}, paths = { s2 = 'a.py' } },
      { kind = 'conflict', path = 'a.py', sessions = { 's1', 's2' }, ranges = { s1 = { { 2, 2 } }, s2 = { { 3, 3 } } }, detail = {}, paths = { s1 = 'b.py' } },
    },
  })
  local names = vim.tbl_map(function(item)
    return item.filename .. ':' .. item.lnum
  end, renamed)
  H.eq({ '/r/s1/b.py:2', '/r/s2/a.py:3' }, names, 'a rename conflict once per session, in its own file')

  -- :AgentLS checks allow asks first, then background checks are on.
  H.choose('Allow')
  vim.cmd('AgentLS checks allow')
  H.assert(H.last_asked().prompt:find('build and test commands configured on trunk', 1, true), 'the question says what runs: ' .. tostring(H.last_asked().prompt))
  H.wait_message('background semantic checks allowed (now: on)', 30000)
  H.wait_for('the status to say up to date', 30000, function()
    local status = require('agentls').status(source)
    return status and status.checks == 'up to date'
  end, function()
    return vim.inspect(require('agentls').status(source)) .. '\n' .. H.describe()
  end)
  local answer = vim.fn.json_decode(H.cli(fx.repo, 'verify', '--status', '--json'))
  H.eq('on', answer.background, 'the engine\'s background state')
  -- :AgentLS checks says what the checks do, its count and noun agreeing.
  vim.cmd('AgentLS checks')
  H.wait_for('the checks summary', 30000, function()
    for _, m in ipairs(H.messages) do
      local n, word = m.message:match('%((%d+) (pairs?) watched; background on%)')
      if n then
        H.eq(tonumber(n) == 1, word == 'pair', 'the count and its noun: ' .. m.message)
        return tonumber(n) == answer.pairs
      end
    end
    return false
  end, H.describe)
end)
