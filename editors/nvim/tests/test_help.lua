-- :help agentls works right after install: the plugin writes doc/tags when no
-- plugin manager did (a copy of the plugin without doc/tags, loaded by a fresh
-- Neovim through 'runtimepath' only).
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':help agentls after a plain runtimepath install', function()
  local copy = vim.fn.tempname() .. '-agentls.nvim'
  H.system({ 'cp', '-R', H.plugin_dir, copy })
  vim.fn.delete(copy .. '/doc/tags')
  H.eq(0, vim.fn.filereadable(copy .. '/doc/tags'), 'no doc/tags before the first start')

  local output = H.system({
    vim.v.progpath, '--headless', '-u', 'NONE', '-i', 'NONE', '-n',
    '--cmd', 'set runtimepath^=' .. copy,
    '-c', 'runtime plugin/agentls.lua',
    '-c', 'help agentls-sessions-buffer',
    '-c', 'lua io.stdout:write("\\nhelp:" .. vim.fn.expand("%:t") .. ":" .. vim.fn.getline(".") .. "\\n")',
    '-c', 'qall!',
  })
  H.assert(output:find('help:agentls.txt:', 1, true), ':help agentls-sessions-buffer should open agentls.txt:\n' .. output)
  H.eq(1, vim.fn.filereadable(copy .. '/doc/tags'), 'doc/tags written')
  vim.fn.delete(copy, 'rf')
end)
