-- :AgentLS and the <Plug>(agentls-*) mappings only; everything else loads on
-- first use (require('agentls').setup() starts the client).
if vim.g.loaded_agentls then
  return
end
vim.g.loaded_agentls = true

if vim.fn.has('nvim-0.7') ~= 1 then
  vim.api.nvim_err_writeln('agentls.nvim needs Neovim 0.7 or newer')
  return
end

vim.api.nvim_create_user_command('AgentLS', function(opts)
  require('agentls').command(opts.fargs, opts.bang)
end, {
  nargs = '*',
  bang = true,
  desc = 'agentls: sessions, review, new, fork, rename, claim, release, priority, handoff, land, land-all, remove, restore, recover, open, cd, overlaps, verify, checks, refresh, restart, log',
  complete = function(arglead, cmdline)
    return require('agentls').complete(arglead, cmdline)
  end,
})

-- In the sessions buffer these act on the session under the cursor; elsewhere on
-- the current buffer's session. The sessions buffer maps its keys to them
-- (option `mappings`); map them yourself anywhere, e.g.
--   vim.keymap.set('n', '<leader>as', '<Plug>(agentls-sessions)')
for _, action in ipairs({
  'sessions', 'toggle', 'open-item', 'land', 'handoff', 'rename', 'claim', 'release',
  'priority', 'remove', 'restore', 'new', 'fork', 'tab', 'tcd', 'verify', 'open-log', 'refresh',
  'next-session', 'previous-session', 'help', 'close',
}) do
  vim.keymap.set('n', '<Plug>(agentls-' .. action .. ')', function()
    require('agentls.view').act((action:gsub('%-', '_')))
  end, { silent = true, desc = 'agentls: ' .. action })
end

-- The review sweep (:AgentLS review): <Plug>(agentls-review) opens it; in the
-- review buffer the others act on the session under the cursor, in a review diff
-- tab on its session, elsewhere (the verbs) on the current buffer's session.
vim.keymap.set('n', '<Plug>(agentls-review)', function()
  require('agentls.review').act('open')
end, { silent = true, desc = 'agentls: review' })
for _, action in ipairs({
  'toggle', 'open-item', 'diff', 'approve', 'approve-land', 'request-changes', 'skip',
  'remove', 'run-checks', 'next-session', 'previous-session', 'next-file', 'previous-file',
  'refresh', 'help', 'close',
}) do
  vim.keymap.set('n', '<Plug>(agentls-review-' .. action .. ')', function()
    require('agentls.review').act((action:gsub('%-', '_')))
  end, { silent = true, desc = 'agentls review: ' .. action })
end

-- `:help agentls` works right after install: write doc/tags once when no plugin
-- manager did (lazy.nvim and packer run :helptags; a runtimepath entry does not).
local doc = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h') .. '/doc'
if not vim.loop.fs_stat(doc .. '/tags') and vim.loop.fs_access(doc, 'W') then
  pcall(vim.cmd, 'silent! helptags ' .. vim.fn.fnameescape(doc))
end
