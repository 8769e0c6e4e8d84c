-- A conflicting edit in another worktree shows as a diagnostic on the right lines:
-- a commit made there, files saved there later, and this buffer's unsaved text.
-- One client serves buffers of every worktree, each with its own session's view.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('diagnostics for conflicting edits in another worktree', function()
  local fx = H.fixture()

  -- beta commits a change to lines 10-12.
  H.write(fx.beta .. '/app.txt', H.numbered(40, { [10] = 'beta 10', [11] = 'beta 11', [12] = 'beta 12' }))
  H.git(fx.beta, 'commit', '-qam', 'beta edits 10-12')

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  local client = H.client_of(buf)

  -- alpha changes the same lines in the buffer, unsaved.
  vim.api.nvim_buf_set_lines(buf, 9, 12, false, { 'alpha 10', 'alpha 11', 'alpha 12' })

  H.wait_for('a conflict diagnostic on lines 10-12 of alpha/app.txt', 20000, function()
    local d = H.diagnostics(buf)[1]
    return d ~= nil and d.lnum == 9
  end, H.describe)
  local first = H.diagnostics(buf)[1]
  H.eq(1, #H.diagnostics(buf), 'number of agentls diagnostics in alpha/app.txt')
  H.eq('conflict', first.code, 'diagnostic code')
  H.assert(first.message:find('beta', 1, true), 'message should name session beta: ' .. first.message)
  H.assert(first.end_lnum >= 11 and first.end_lnum <= 12, 'diagnostic should end on line 12, ends at ' .. first.end_lnum + 1)
  local related = first.user_data and first.user_data.lsp and first.user_data.lsp.relatedInformation
  H.assert(related and related[1], 'diagnostic should carry relatedInformation to beta')
  H.assert(
    vim.uri_to_fname(related[1].location.uri) == fx.beta .. '/app.txt',
    'relatedInformation should point at beta/app.txt, got ' .. related[1].location.uri
  )

  -- beta saves (without committing) the original lines back: the conflict goes away...
  H.write(fx.beta .. '/app.txt', H.numbered(40))
  H.wait_for('the diagnostic to clear after beta saved its file without the change', 20000, function()
    return #H.diagnostics(buf) == 0
  end, H.describe)

  -- ...and comes back, elsewhere, when beta saves a change to lines 30-31 and alpha edits 31.
  H.write(fx.beta .. '/app.txt', H.numbered(40, { [30] = 'beta 30', [31] = 'beta 31' }))
  vim.api.nvim_buf_set_lines(buf, 9, 12, false, { 'line 10', 'line 11', 'line 12' })
  vim.api.nvim_buf_set_lines(buf, 30, 31, false, { 'alpha 31' })
  H.wait_for('a conflict diagnostic on line 31 after beta saved lines 30-31', 20000, function()
    local d = H.diagnostics(buf)
    return #d == 1 and d[1].lnum == 30 and d[1].message:find('beta', 1, true) ~= nil
  end, H.describe)

  -- A buffer in beta's worktree uses the same client: one per repository.
  local beta_buf = H.edit(fx.beta .. '/app.txt')
  H.wait_for('beta/app.txt to attach', 10000, function()
    return vim.lsp.buf_is_attached(beta_buf, client.id)
  end, H.describe)
  H.eq(1, #H.clients(), 'number of agentls clients')
  -- ...and shows beta's side of the conflict: lines 30-31, naming alpha.
  H.wait_for("beta's own diagnostic on lines 30-31 of beta/app.txt", 20000, function()
    local d = H.diagnostics(beta_buf)
    return #d == 1 and d[1].lnum == 29 and d[1].message:find('alpha', 1, true) ~= nil
  end, H.describe)

  -- The statusline names the buffer's session, then this buffer's collisions and
  -- the session's: app.txt holds beta's one collision, README.md none of them.
  H.wait_for('the statusline to show beta !1/1', 20000, function()
    return require('agentls').statusline(beta_buf) == 'beta !1/1'
  end, function()
    return 'statusline: ' .. vim.inspect(require('agentls').statusline(beta_buf)) .. '\n' .. H.describe()
  end)
  local readme = H.edit(fx.beta .. '/README.md')
  H.wait_for('the statusline of beta/README.md to show beta !0/1', 20000, function()
    return require('agentls').statusline(readme) == 'beta !0/1'
  end, function()
    return 'statusline: ' .. vim.inspect(require('agentls').statusline(readme)) .. '\n' .. H.describe()
  end)
  local status = require('agentls').status(readme)
  H.eq({ session = 'beta', buffer = 0, total = 1 }, { session = status.session, buffer = status.buffer, total = status.total }, 'status() of beta/README.md')

  -- :AgentLS overlaps lists both sides of the conflict in the quickfix list.
  vim.cmd('AgentLS overlaps')
  H.wait_for('the quickfix list to hold both sides of the conflict', 20000, function()
    local names = {}
    for _, item in ipairs(vim.fn.getqflist()) do
      names[vim.api.nvim_buf_get_name(item.bufnr)] = item.lnum
    end
    return names[fx.alpha .. '/app.txt'] == 31 and names[fx.beta .. '/app.txt'] == 30
  end, function()
    return vim.inspect(vim.fn.getqflist()) .. '\n' .. H.describe()
  end)
end)
