-- Config for Neovim 0.11+: `vim.lsp.enable('agentls')` starts one agentls
-- server per git repository and attaches it to files in all of its worktrees.
-- (Neovim 0.7-0.10: use require('agentls').setup() instead.)
local function repository(dir)
  local out = vim
    .system({ 'git', '-C', dir, 'rev-parse', '--path-format=absolute', '--git-common-dir', '--show-toplevel' }, { text = true })
    :wait()
  if out.code ~= 0 then
    return nil
  end
  local lines = vim.split(vim.trim(out.stdout), '\n', { plain = true })
  if #lines < 2 then
    return nil
  end
  return { common_dir = vim.uv.fs_realpath(lines[1]) or lines[1], toplevel = vim.uv.fs_realpath(lines[2]) or lines[2] }
end

local function common_dir(client)
  local root = client.config.root_dir
  local repo = root and repository(root)
  return repo and repo.common_dir
end

local settings = {
  severity = {
    conflict = 'warning',
    overlap = 'information',
    ownership = 'warning',
    ['research-write'] = 'warning',
    ['trunk-conflict'] = 'warning',
  },
  ignore = {},
  logLevel = 'info',
}

---@type vim.lsp.Config
return {
  cmd = { 'agentls', 'serve' },
  -- No filetypes: agentls cares about every file in a worktree.
  root_dir = function(bufnr, on_dir)
    local name = vim.api.nvim_buf_get_name(bufnr)
    if name == '' or vim.bo[bufnr].buftype ~= '' or name:match('^%a[%w+.-]*://') then
      return
    end
    local repo = repository(vim.fs.dirname(name))
    if repo then
      on_dir(repo.toplevel)
    end
  end,
  -- One client per repository: a buffer in any worktree reuses it.
  reuse_client = function(client, config)
    if client.name ~= config.name or not config.root_dir then
      return false
    end
    local theirs = common_dir(client)
    local ours = repository(config.root_dir)
    return theirs ~= nil and ours ~= nil and theirs == ours.common_dir
  end,
  init_options = settings,
  settings = { agentls = settings },
  handlers = (function()
    local ok, client = pcall(require, 'agentls.client')
    return ok and client.handlers or nil
  end)(),
}
