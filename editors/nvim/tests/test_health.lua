-- :checkhealth agentls reports OK for Neovim, git, the repository, the server
-- (really started) and the trunk, with no ERROR.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':checkhealth agentls', function()
  local fx = H.fixture()
  H.setup({ autostart = false }) -- the health check must start a server itself
  vim.cmd('cd ' .. vim.fn.fnameescape(fx.alpha))

  vim.cmd('checkhealth agentls')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  local function expect(pattern, what)
    H.assert(text:find(pattern), string.format('checkhealth should report %s (pattern %q):\n%s', what, pattern, text))
  end
  H.assert(not text:find('ERROR'), 'checkhealth reported an error:\n' .. text)
  expect('OK:? Neovim %d+%.%d+', 'the Neovim version')
  expect('OK:? git %d+%.%d+', 'the git version')
  expect('OK:? repository: ' .. vim.pesc(fx.root .. '/repo/.git'), 'the repository')
  expect('OK:? 3 worktrees', 'the worktrees')
  expect("OK:? started by require%('agentls'%)%.setup%(%)", 'the route taken')
  expect('OK:? server starts and answers initialize', 'a server that starts')
  expect('OK:? trunk: main', 'the trunk')
  expect('inotify: max_user_watches=%d+', 'the inotify limits')
  H.eq(0, #H.clients(), 'clients left running by the health check')

  -- A missing command: an error whose advice fits setup().
  H.setup({ autostart = false, cmd = { '/nonexistent/agentls', 'serve' } })
  vim.cmd('checkhealth agentls')
  text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  expect('ERROR:? server command "/nonexistent/agentls" not found', 'the missing command')
  expect("require%('agentls'%)%.setup%({ cmd = ", 'advice for setup()')
  H.assert(not text:find("vim.lsp.config('agentls'", 1, true), 'no vim.lsp.config advice on the setup() route:\n' .. text)
end)
