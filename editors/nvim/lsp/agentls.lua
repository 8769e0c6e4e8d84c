-- Config for Neovim 0.11+: `vim.lsp.enable('agentls')` starts one agentls
-- server per git repository and attaches it to files in all of its worktrees.
-- (Neovim 0.7-0.10: use require('agentls').setup() instead.)
-- The plugin's own repository lookup (cached) and default settings: one home each.
local repository = require('agentls.git').repository
local settings = vim.deepcopy(require('agentls.config').defaults.settings)
local client_mod = require('agentls.client')

local function common_dir(client)
  local root = client.config.root_dir
  local repo = root and repository(root)
  return repo and repo.common_dir
end

---@type vim.lsp.Config
return {
  cmd = { 'agentls', 'serve' },
  -- No filetypes: agentls cares about every file in a worktree.
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if name == '' or vim.bo[bufnr].buftype ~= '' or name:match('^%a[%w+.-]*://') then
      return
    end
    local repo = repository(name)
    if repo then
      on_dir(repo.toplevel)
    end
  end,
  -- One client per repository: a buffer in any worktree reuses it.
  reuse_client = function(client, config)
    if client.name ~= config.name or not config.root_dir or client:is_stopped() then
      return false
    end
    local theirs = common_dir(client)
    local ours = repository(config.root_dir)
    return theirs ~= nil and ours ~= nil and theirs == ours.common_dir
  end,
  -- `operations`: this client handles agentls/operationFinished itself.
  init_options = client_mod.init_options(settings),
  settings = { agentls = settings },
  handlers = client_mod.handlers,
  -- The code actions' commands, so their outcome shows (agentls.code_actions).
  commands = require('agentls.code_actions').commands,
  on_exit = client_mod.on_exit,
}
