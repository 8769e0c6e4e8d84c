-- lsp/agentls.lua: on Neovim 0.11+ `vim.lsp.enable('agentls')` starts one client
-- per repository for buffers of every worktree, and :AgentLS uses it. Older
-- Neovims have no vim.lsp.config; there the file must still load as a plain table.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('lsp/agentls.lua', function()
  local spec = dofile(H.plugin_dir .. '/lsp/agentls.lua')
  H.eq({ 'agentls', 'serve' }, spec.cmd, 'cmd')
  H.eq('function', type(spec.root_dir), 'root_dir type')
  H.eq('function', type(spec.reuse_client), 'reuse_client type')
  H.assert(spec.handlers and spec.handlers['agentls/sessionsChanged'], 'handlers for agentls/sessionsChanged')
  if vim.fn.has('nvim-0.11') ~= 1 then
    return -- 0.7-0.10: setup() is the way in; covered by the other tests
  end

  local fx = H.fixture()
  vim.cmd('filetype on') -- vim.lsp.enable attaches on FileType; -u NONE leaves detection off
  vim.lsp.config('agentls', { cmd = { H.server, 'serve' } })
  vim.lsp.enable('agentls')
  local alpha = H.edit(fx.alpha .. '/app.txt')
  local client = H.client_of(alpha)
  H.eq(fx.alpha, client.config.root_dir, 'root_dir of the first buffer')
  local beta = H.edit(fx.beta .. '/app.txt')
  H.wait_for('beta/app.txt attached to the same client', 20000, function()
    return vim.lsp.buf_is_attached(beta, client.id)
  end, H.describe)
  H.eq(1, #H.clients(), 'one client for the repository')

  H.assert(spec.commands and spec.commands['agentls.compare'], 'the code actions\' commands')
  H.eq(true, client.config.init_options.operations, 'init_options.operations')

  -- :AgentLS finds the client vim.lsp.enable started (no second one).
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  H.wait_for('the sessions buffer naming alpha and beta', 20000, function()
    local text = H.text(view)
    return text:find('\n. alpha +code') ~= nil and text:find('\n. beta +code') ~= nil
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  H.eq(1, #H.clients(), 'clients after :AgentLS')

  -- :AgentLS restart on this route: a new client, started by vim.lsp.enable, for both buffers.
  vim.cmd('buffer ' .. alpha)
  vim.cmd('AgentLS restart')
  H.wait_for('a new client for both buffers', 20000, function()
    local clients = H.clients()
    return #clients == 1
      and clients[1].id ~= client.id
      and vim.lsp.buf_is_attached(alpha, clients[1].id)
      and vim.lsp.buf_is_attached(beta, clients[1].id)
  end, H.describe)
  H.eq(fx.alpha, H.clients()[1].config.root_dir, 'root_dir of the restarted client')
end)
