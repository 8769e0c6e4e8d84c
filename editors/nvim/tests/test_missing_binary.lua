-- A missing server command must not look like a crash: Neovim started with a
-- UI on a file in a git worktree and `cmd` pointing nowhere stays in Normal
-- mode (no hit-enter prompt), and says once, in one line, what is wrong and
-- where to look. A child Neovim with its own terminal UI is the user here.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run('missing server binary: quiet start, one warning', function()
  local fx = H.fixture()
  local init = vim.fn.tempname() .. '.lua'
  vim.fn.writefile({
    string.format('vim.opt.runtimepath:prepend(%q)', H.plugin_dir),
    "vim.cmd('runtime plugin/agentls.lua')",
    'vim.o.swapfile = false',
    "require('agentls').setup({ cmd = { '/nonexistent/bin/agentls', 'serve' } })",
  }, init)
  local job, child = H.child_neovim(init, fx.alpha .. '/app.txt', 80)

  -- Let it start, load the file, try to attach and show the deferred warning; a
  -- hit-enter prompt (mode "r", blocking) fails at once (:messages would hang).
  local mode
  for _ = 1, 15 do
    vim.wait(100)
    mode = vim.rpcrequest(child, 'nvim_get_mode')
    H.assert(not mode.blocking, 'the child waits at a prompt: ' .. vim.inspect(mode))
  end
  H.eq({ mode = 'n', blocking = false }, mode, 'mode of the child')
  local messages = vim.rpcrequest(child, 'nvim_exec', 'messages', true)
  H.eq(fx.alpha .. '/app.txt', vim.rpcrequest(child, 'nvim_buf_get_name', 0), 'the file is open')

  local warnings = vim.tbl_filter(function(line)
    return line:find('agentls', 1, true) ~= nil
  end, vim.split(messages, '\n', { plain = true }))
  H.eq({ 'agentls: agentls not found; see :checkhealth agentls' }, warnings, 'the one agentls message')

  -- Opening more files does not repeat it.
  vim.rpcrequest(child, 'nvim_command', 'edit ' .. vim.fn.fnameescape(fx.beta .. '/app.txt'))
  vim.wait(300)
  messages = vim.rpcrequest(child, 'nvim_exec', 'messages', true)
  local _, count = messages:gsub('not found', '')
  H.eq(1, count, 'warnings after opening another file')
  H.eq('n', vim.rpcrequest(child, 'nvim_get_mode').mode, 'still in Normal mode')
  pcall(vim.rpcrequest, child, 'nvim_command', 'qall!')
  vim.fn.jobstop(job)
end)
