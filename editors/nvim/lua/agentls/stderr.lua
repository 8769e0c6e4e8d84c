-- The server's stderr as Neovim's LSP log recorded it: Neovim keeps a server's stderr
-- nowhere else. Each chunk is one ERROR line, tab-separated and vim.inspect-quoted:
--   [ERROR][date] .../lsp/rpc.lua:420	"rpc"	"/path/to/agentls"	"stderr"	"Traceback…\n"
-- (0.7 through 0.11 alike). Used by :AgentLS log and to say why a server stopped.
local M = {}

local ESCAPES = { a = '\a', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t', v = '\v' }

--- The text of a vim.inspect-quoted string ("…" or '…'), or nil for anything else.
function M.unquote(field)
  local body = field:match('^"(.*)"$') or field:match("^'(.*)'$")
  if not body then
    return nil
  end
  local out, i = {}, 1
  while i <= #body do
    local c = body:sub(i, i)
    if c ~= '\\' then
      table.insert(out, c)
      i = i + 1
    else
      local digits = body:match('^%d%d?%d?', i + 1)
      if digits then
        table.insert(out, string.char(math.min(tonumber(digits), 255)))
        i = i + 1 + #digits
      else
        local e = body:sub(i + 1, i + 1)
        table.insert(out, ESCAPES[e] or e)
        i = i + 2
      end
    end
  end
  return table.concat(out)
end

--- The LSP log's size now: where the lines of a server started now begin.
function M.mark()
  local stat = vim.loop.fs_stat(vim.lsp.get_log_path())
  return stat and stat.size or 0
end

--- Every stderr line of the log (raw, newest last) whose command mentions agentls, at most LIMIT.
function M.log_lines(limit)
  local path = vim.lsp.get_log_path()
  if vim.fn.filereadable(path) ~= 1 then
    return {}
  end
  local found = {}
  for _, line in ipairs(vim.fn.readfile(path)) do
    if line:find('"stderr"', 1, true) and line:find('agentls', 1, true) then
      table.insert(found, line)
    end
  end
  return vim.list_slice(found, math.max(#found - limit + 1, 1), #found)
end

--- What EXE wrote on stderr since MARK (see M.mark), decoded. Safe in a fast event.
function M.since(mark, exe)
  local file = io.open(vim.lsp.get_log_path(), 'rb')
  if not file then
    return ''
  end
  file:seek('set', mark)
  local text = file:read('*a') or ''
  file:close()
  local command = vim.inspect(exe)
  local chunks = {}
  for line in text:gmatch('[^\n]+') do
    local fields = vim.split(line, '\t', { plain = true })
    if #fields >= 5 and fields[2] == '"rpc"' and fields[3] == command and fields[4] == '"stderr"' then
      table.insert(chunks, M.unquote(table.concat(fields, '\t', 5)) or '')
    end
  end
  return table.concat(chunks)
end

--- The last line that says something (a traceback's last line names the error), at most 300 characters.
function M.last_words(text)
  local last = ''
  for line in text:gmatch('[^\r\n]+') do
    local trimmed = vim.trim(line)
    if trimmed ~= '' then
      last = trimmed
    end
  end
  return last:sub(1, 300)
end

return M
