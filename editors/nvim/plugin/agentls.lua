-- :AgentLS only; everything else loads on first use (require('agentls').setup() starts the client).
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
  desc = 'agentls: status, new, fork, rename, claim, release, priority, handoff, land, land-all, overlaps, refresh',
  complete = function(arglead, cmdline)
    return require('agentls').complete(arglead, cmdline)
  end,
})
