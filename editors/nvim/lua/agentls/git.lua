-- Which repository and worktree a file belongs to, asked of git itself.
local M = {}

local uv = vim.loop

-- Answers per directory: opening many files in one folder asks git once.
local cache = {}

--- Runs git with an argument list (never a shell string); returns lines or nil, error.
function M.run(args, cwd)
  local cmd = { 'git' }
  if cwd then
    vim.list_extend(cmd, { '-C', cwd })
  end
  vim.list_extend(cmd, args)
  local lines = vim.fn.systemlist(cmd)
  if vim.v.shell_error ~= 0 then
    return nil, table.concat(lines, '\n')
  end
  return lines
end

--- Canonical absolute path (symlinks resolved) or the path itself when it does not exist.
function M.realpath(path)
  return uv.fs_realpath(path) or path
end

--- The nearest existing directory at or above `path`.
local function existing_dir(path)
  local dir = path
  while dir and dir ~= '' do
    local stat = uv.fs_stat(dir)
    if stat and stat.type == 'directory' then
      return dir
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
  return nil
end

--- The repository of a file or folder: { common_dir, toplevel } or nil when it
--- is not inside a git worktree (files under .git/ are not).
function M.repository(path)
  if not path or path == '' then
    return nil
  end
  local stat = uv.fs_stat(path)
  local dir = (stat and stat.type == 'directory') and path or existing_dir(vim.fn.fnamemodify(path, ':h'))
  if not dir then
    return nil
  end
  dir = M.realpath(dir)
  if cache[dir] ~= nil then
    return cache[dir] or nil
  end
  local lines = M.run({ 'rev-parse', '--path-format=absolute', '--git-common-dir', '--show-toplevel' }, dir)
  local repo = false
  if lines and #lines >= 2 and lines[2] ~= '' then
    repo = { common_dir = M.realpath(lines[1]), toplevel = M.realpath(lines[2]) }
  end
  cache[dir] = repo
  return repo or nil
end

--- Forgets cached answers (after worktrees were added or removed).
function M.clear_cache()
  cache = {}
end

local BACKUPS = 'refs/agentls/backup/'

--- agentls's backup refs (what `remove`, `land` and `restore` keep), by session
--- name, oldest first: { name = { { ref = ..., stamp = ... }, ... } }. Read-only.
function M.backups(cwd)
  local lines = M.run({ 'for-each-ref', '--format=%(refname)', BACKUPS }, cwd) or {}
  local found = {}
  for _, ref in ipairs(lines) do
    local rest = ref:sub(#BACKUPS + 1)
    local name, stamp = rest:match('^(.+)/([^/]+)$')
    if name then
      found[name] = found[name] or {}
      table.insert(found[name], { ref = ref, stamp = stamp })
    end
  end
  for _, refs in pairs(found) do
    table.sort(refs, function(a, b)
      return a.ref < b.ref
    end)
  end
  return found
end

--- git's version as { major, minor, patch } or nil.
function M.version()
  local lines = M.run({ '--version' })
  if not lines or not lines[1] then
    return nil
  end
  local major, minor, patch = lines[1]:match('(%d+)%.(%d+)%.?(%d*)')
  if not major then
    return nil
  end
  return { tonumber(major), tonumber(minor), tonumber(patch) or 0 }
end

return M
