-- A land whose tests fail: trunk stays put (checked with git), an error message
-- names the session, and the output opens in a scratch buffer. The session is
-- picked with vim.ui.select when the current buffer is on trunk, and the picker
-- offers only sessions with something to land (not trunk, not alpha: no commits).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':AgentLS land (failing tests)', function()
  local fx = H.fixture()
  H.commit_file(fx.repo, '.agentls.toml', { '[land]', 'test = "echo agentls-test-output-marker; exit 3"' }, 'land config with a failing test')
  H.commit_file(fx.beta, 'beta.txt', { 'beta work' }, 'beta: add beta.txt')
  local old_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')

  -- The current buffer is in the trunk's worktree: land asks which session.
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(function(item)
      return opts.format_item(item)
    end, items)
    for _, item in ipairs(items) do
      if item.name == 'beta' then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end

  H.setup()
  local buf = H.edit(fx.repo .. '/app.txt')
  H.client_of(buf)
  vim.cmd('AgentLS land')
  H.wait_for('the land-output scratch buffer', 60000, function()
    return vim.fn.bufnr('agentls://land-output') ~= -1
  end, H.describe)

  H.eq({ 'beta (beta) +1' }, offered, 'sessions offered for land')
  local failed = vim.tbl_filter(function(m)
    return m.level == vim.log.levels.ERROR and m.message:find('land beta failed', 1, true)
  end, H.messages)
  H.assert(#failed == 1, 'one "land beta failed" error message expected')
  local text = table.concat(vim.api.nvim_buf_get_lines(vim.fn.bufnr('agentls://land-output'), 0, -1, false), '\n')
  H.assert(text:find('agentls-test-output-marker', 1, true), 'the test output should be shown:\n' .. text)
  H.eq(old_trunk, H.git(fx.repo, 'rev-parse', 'refs/heads/main'), 'trunk after a failed land')
end)
