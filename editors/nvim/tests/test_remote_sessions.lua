-- Remote sessions (docs/remote.md): a cloud agent's pushed branch, fetched with
-- `agentls fetch`, shows in the sessions buffer in its own "Remote" section, marked
-- with where it lives; its conflict with a local session is there too; a verb that
-- cannot apply to it (rename) is refused with words, and nothing changes.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('sessions buffer: remote sessions', function()
  local fx = H.fixture()
  local root = vim.fn.fnamemodify(fx.repo, ':h')
  local server, cloud = root .. '/server.git', root .. '/cloud'
  H.git(root, 'init', '-q', '--bare', '-b', 'main', server)
  H.git(fx.repo, 'remote', 'add', 'origin', server)
  H.git(fx.repo, 'push', '-q', 'origin', 'main')
  H.git(root, 'clone', '-q', server, cloud)
  H.git(cloud, 'checkout', '-q', '-b', 'codex/fix-login')
  H.write(cloud .. '/app.txt', H.numbered(40, { [12] = 'cloud 12' }))
  H.git(cloud, 'commit', '-qam', 'codex: line 12')
  H.git(cloud, 'push', '-q', 'origin', 'codex/fix-login')
  H.write(fx.alpha .. '/app.txt', H.numbered(40, { [12] = 'alpha 12' }))
  H.cli(fx.repo, 'fetch')

  H.setup()
  local buf = H.edit(fx.alpha .. '/app.txt')
  H.client_of(buf)
  vim.cmd('AgentLS')
  local view = vim.api.nvim_get_current_buf()
  H.wait_for('the remote section with its conflict', 20000, function()
    local text = H.text(view)
    return text:find('Remote %(1%)') and text:find('origin:codex/fix%-login +remote +codex/fix%-login on origin .*1 conflict')
  end, function()
    return H.text(view) .. '\n' .. H.describe()
  end)
  local text = H.text(view)
  H.assert(text:find('Sessions %(3%)'), 'the local sessions stay in their section:\n' .. text)
  H.capture('sessions-buffer-remote', vim.api.nvim_buf_get_lines(view, 0, -1, false))

  -- = on the remote row says where it lives instead of a folder.
  H.cursor_to('^. origin:codex/fix%-login ')
  H.press('=')
  text = H.text(view)
  H.assert(text:find('on origin, by Test %(another machine: compare, not change%)'), 'details of the remote session:\n' .. text)

  -- Renaming it is refused with the plugin's words.
  vim.cmd('AgentLS rename origin:codex/fix-login mine')
  H.wait_for('the remote-session refusal', 20000, function()
    return #H.messages_with('lives on another machine (codex/fix-login on origin)') > 0
  end, H.describe)
  local names = {}
  for _, session in ipairs(H.status(fx.repo).sessions) do
    names[session.name] = session.role
  end
  H.eq('remote', names['origin:codex/fix-login'], 'the remote session is still there, unchanged')
  H.assert(names.mine == nil, 'nothing was renamed')
end)
