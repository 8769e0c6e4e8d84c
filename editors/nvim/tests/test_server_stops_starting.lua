-- A server that dies while starting (a broken install: agentls is there, pygls is
-- not) is said once, with its exit status and the last line it wrote, and is not
-- started again for every file opened; :AgentLS restart tries again. A child Neovim
-- with its own terminal UI is the user here (no hit-enter prompt may appear).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

local STOPPED = "agentls: the server stopped while starting (exit 1): ModuleNotFoundError: No module named 'pygls'"

H.run('a server that dies while starting: said once, with why, and not restarted', function()
  -- Its stderr comes back from the LSP log exactly, whatever quoting vim.inspect chose.
  local stderr = require('agentls.stderr')
  for _, text in ipairs({
    'Traceback (most recent call last):\n  File "/x/agentls/__main__.py", line 1\n',
    "ModuleNotFoundError: No module named 'pygls'\n",
    [[both ' and " and a \ backslash, a tab	and a bell]] .. '\a\0\1279',
    'ünïcødé\r\n',
  }) do
    H.eq(text, stderr.unquote(vim.inspect(text)), 'read back')
  end
  H.eq(nil, stderr.unquote('not quoted'), 'a field that is not a string')
  H.eq("ModuleNotFoundError: No module named 'pygls'", stderr.last_words('Traceback:\n  x\nModuleNotFoundError: No module named \'pygls\'\n\n  \n'), 'last words')
  H.eq('', stderr.last_words(''), 'no words')

  local fx = H.fixture()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local script = dir .. '/crash-server.sh'
  local starts = script .. '.starts'
  -- The traceback, then a moment before the exit, as Python's teardown gives: Neovim
  -- 0.7 closes a server's stderr as soon as it sees the exit.
  H.write(script, {
    '#!/bin/sh',
    'echo start >> "$0.starts"',
    'echo "Traceback (most recent call last):" >&2',
    [[echo "ModuleNotFoundError: No module named 'pygls'" >&2]],
    'sleep 0.2',
    'exit 1',
  })
  vim.fn.setfperm(script, 'rwx------')
  local init = dir .. '/init.lua'
  vim.fn.writefile({
    string.format('vim.opt.runtimepath:prepend(%q)', H.plugin_dir),
    "vim.cmd('runtime plugin/agentls.lua')",
    'vim.o.swapfile = false',
    string.format("require('agentls').setup({ cmd = { %q, 'serve' } })", script),
  }, init)
  -- Wide enough that the whole message fits on the command line.
  local job, child = H.child_neovim(init, fx.alpha .. '/app.txt', 200)

  local function started()
    return vim.fn.filereadable(starts) == 1 and #vim.fn.readfile(starts) or 0
  end
  -- The lines of :messages matching PATTERN (default: the plugin's own); a blocking
  -- prompt fails at once (:messages would hang).
  local function said(pattern)
    local mode = vim.rpcrequest(child, 'nvim_get_mode')
    H.assert(not mode.blocking, 'the child waits at a prompt: ' .. vim.inspect(mode))
    local messages = vim.rpcrequest(child, 'nvim_exec', 'messages', true)
    return vim.tbl_filter(function(line)
      return line:find(pattern or '^agentls: ') ~= nil
    end, vim.split(messages, '\n', { plain = true }))
  end

  H.wait_for('the message that the server stopped', 15000, function()
    return #said() > 0
  end, function()
    return vim.inspect(said())
  end)
  H.eq({ STOPPED }, said(), 'the agentls messages')
  H.eq(1, started(), 'starts')

  -- Another worktree's file: the same repository, not started again, nothing more said.
  vim.rpcrequest(child, 'nvim_command', 'edit ' .. vim.fn.fnameescape(fx.beta .. '/app.txt'))
  vim.wait(1000)
  H.eq(1, started(), 'starts after opening another worktree file')
  H.eq({ STOPPED }, said(), 'the agentls messages after opening another file')
  -- Neovim's own line for the exit ("Client 1 quit with exit code 1…"), once.
  H.eq(1, #said('quit with exit code'), "Neovim's own exit messages")
  local problem = vim.rpcrequest(child, 'nvim_exec_lua', "return require('agentls.client').problem", {})
  H.eq(STOPPED:gsub('^agentls: ', ''), problem, 'the problem :AgentLS log and :checkhealth show')
  H.eq('n', vim.rpcrequest(child, 'nvim_get_mode').mode, 'still in Normal mode')

  -- :AgentLS restart tries again (and it fails again, and says so again).
  vim.rpcrequest(child, 'nvim_command', 'AgentLS restart')
  H.wait_for('a second start after :AgentLS restart', 15000, function()
    return started() == 2
  end)
  H.wait_for('the second failure noted', 15000, function()
    return vim.rpcrequest(child, 'nvim_exec_lua', "return require('agentls.client').problem", {}) ~= vim.NIL
  end)
  vim.wait(1000)
  H.eq(2, started(), 'starts after one restart')

  -- :checkhealth starts it once more to see, and gives the same reason.
  vim.rpcrequest(child, 'nvim_command', 'checkhealth agentls')
  local report = table.concat(vim.rpcrequest(child, 'nvim_buf_get_lines', 0, 0, -1, false), '\n')
  H.assert(report:find("it exited with status 1: ModuleNotFoundError: No module named 'pygls'", 1, true), 'the health report: ' .. report)
  pcall(vim.rpcrequest, child, 'nvim_command', 'qall!')
  vim.fn.jobstop(job)
end)

