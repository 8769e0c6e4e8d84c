-- :checkhealth agentls advises in the words of the route the user took: nothing
-- set up yet; on 0.11+ vim.lsp.enable('agentls') with vim.lsp.config (a missing
-- command is fixed there, not in setup()).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local function checkhealth()
  vim.cmd('checkhealth agentls')
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
end

H.run(':checkhealth agentls on each route', function()
  local fx = H.fixture()
  vim.cmd('cd ' .. vim.fn.fnameescape(fx.alpha))
  local has_config = vim.fn.has('nvim-0.11') == 1

  -- Nothing set up: a warning saying how to start it on this Neovim.
  local text = checkhealth()
  H.assert(text:find('WARNING:? agentls is not set up'), 'not set up:\n' .. text)
  if has_config then
    H.assert(text:find("vim.lsp.enable('agentls')", 1, true), 'advice for 0.11:\n' .. text)
  else
    H.assert(text:find("require('agentls').setup()", 1, true) and not text:find('vim.lsp.enable', 1, true), 'advice for 0.7:\n' .. text)
    return -- vim.lsp.config does not exist before 0.11
  end

  -- vim.lsp.enable with a command that does not exist: advice for vim.lsp.config.
  vim.lsp.config('agentls', { cmd = { '/nonexistent/agentls', 'serve' } })
  vim.lsp.enable('agentls')
  text = checkhealth()
  H.assert(text:find("OK:? started by vim%.lsp%.enable%('agentls'%)"), 'the route:\n' .. text)
  H.assert(text:find('ERROR:? server command "/nonexistent/agentls" not found'), 'the missing command:\n' .. text)
  H.assert(text:find("vim.lsp.config('agentls', { cmd = ", 1, true), 'advice for vim.lsp.config:\n' .. text)
  H.assert(not text:find('setup(', 1, true), 'no setup() advice on this route:\n' .. text)

  -- Fixed in vim.lsp.config: the server starts.
  vim.lsp.config('agentls', { cmd = { H.server, 'serve' } })
  text = checkhealth()
  H.assert(text:find('OK:? server starts and answers initialize') or text:find('OK:? server running'), 'a server that starts:\n' .. text)
  H.assert(not text:find('ERROR'), 'no error once fixed:\n' .. text)
end)
