-- :AgentLS restart starts the server again for the same buffers (also after the
-- command was missing and got fixed), and :AgentLS log shows what it said.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':AgentLS restart and :AgentLS log', function()
  local fx = H.fixture()
  -- First with a command that does not exist: nothing attaches.
  H.setup({ cmd = { '/nonexistent/agentls', 'serve' } })
  local buf = H.edit(fx.alpha .. '/app.txt')
  local other = H.edit(fx.beta .. '/README.md')
  H.eq(0, #H.clients(), 'clients with a missing command')
  vim.cmd('AgentLS log')
  H.assert(H.text():find('problem: server command "/nonexistent/agentls" not found', 1, true), 'the log names the problem:\n' .. H.text())

  -- Fixed (installed, or cmd corrected): restart attaches every loaded buffer.
  H.setup()
  vim.cmd('AgentLS restart')
  H.wait_message('restarted the agentls server', 20000)
  local client = H.client_of(buf)
  H.wait_for('beta/README.md attached too', 20000, function()
    return vim.lsp.buf_is_attached(other, client.id)
  end, H.describe)

  -- A restart replaces the client and keeps the buffers attached; diagnostics flow.
  vim.cmd('buffer ' .. buf)
  vim.cmd('AgentLS restart')
  H.wait_for('a new client', 20000, function()
    local clients = H.clients()
    return #clients == 1 and clients[1].id ~= client.id and clients[1].initialized
  end, H.describe)
  local restarted = H.clients()[1]
  H.assert(vim.lsp.buf_is_attached(buf, restarted.id) and vim.lsp.buf_is_attached(other, restarted.id), 'buffers attached to the new client')
  H.write(fx.beta .. '/app.txt', H.numbered(40, { [5] = 'beta 5' }))
  vim.api.nvim_buf_set_lines(buf, 4, 5, false, { 'alpha 5' })
  H.wait_for('a conflict diagnostic after the restart', 20000, function()
    local d = H.diagnostics(buf)[1]
    return d ~= nil and d.lnum == 4
  end, H.describe)

  -- The log: the server's messages to this client and its stderr.
  vim.cmd('AgentLS log')
  local text = H.text()
  H.eq('agentls://log', vim.api.nvim_buf_get_name(0), 'log buffer name')
  H.assert(text:find('client ' .. restarted.id, 1, true), 'the log names the client:\n' .. text)
  H.assert(text:find('attached to the engine', 1, true), "the server's own messages:\n" .. text)
end)
