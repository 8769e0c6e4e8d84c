-- Shared set-up for the headless end-to-end tests: loads the plugin from this
-- checkout, builds real repositories with tests/fixture.sh, waits with
-- deadlines, and reports one "ok"/"not ok" line on stdout.
local H = {}

local source = debug.getinfo(1, 'S').source:sub(2)
H.tests_dir = vim.fn.fnamemodify(source, ':p:h')
H.plugin_dir = vim.fn.fnamemodify(H.tests_dir, ':h')

vim.opt.runtimepath:prepend(H.plugin_dir)
vim.cmd('runtime plugin/agentls.lua')
vim.o.swapfile = false
vim.o.hidden = true
vim.o.shortmess = vim.o.shortmess .. 'F'

-- The server under test: run-tests.sh resolves it from the checkout's venv.
H.server = os.getenv('AGENTLS_CMD') or 'agentls'

-- Every message the plugin shows, for assertions and for failure reports.
H.messages = {}
vim.notify = function(message, level)
  table.insert(H.messages, { message = message, level = level or vim.log.levels.INFO })
end

local fixtures = {}

-- Answers for vim.ui.select / vim.ui.input, consumed in order: each is a function
-- (prompt, labels) returning the label (or index) to pick / the text to type, or
-- nil to dismiss. Every question asked is recorded in H.asked.
H.asked = {}
local select_answers, input_answers = {}, {}

vim.ui.select = function(items, opts, on_choice)
  opts = opts or {}
  local labels = {}
  for i, item in ipairs(items) do
    labels[i] = opts.format_item and opts.format_item(item) or tostring(item)
  end
  table.insert(H.asked, { kind = 'select', prompt = opts.prompt, labels = labels })
  local answer = table.remove(select_answers, 1)
  if not answer then
    error(string.format('unexpected vim.ui.select %q: %s', tostring(opts.prompt), vim.inspect(labels)))
  end
  local wanted = answer(opts.prompt, labels)
  for i, label in ipairs(labels) do
    if wanted == i or (type(wanted) == 'string' and label:find(wanted, 1, true)) then
      return on_choice(items[i], i)
    end
  end
  on_choice(nil, nil)
end

vim.ui.input = function(opts, on_confirm)
  table.insert(H.asked, { kind = 'input', prompt = opts.prompt, default = opts.default })
  local answer = table.remove(input_answers, 1)
  if not answer then
    error(string.format('unexpected vim.ui.input %q', tostring(opts.prompt)))
  end
  on_confirm(answer(opts.prompt, opts.default))
end

--- Queues the answer to the next vim.ui.select: a label substring, an index, or a function.
function H.choose(answer)
  table.insert(select_answers, type(answer) == 'function' and answer or function()
    return answer
  end)
end

--- Queues the text typed into the next vim.ui.input.
function H.type(text)
  table.insert(input_answers, type(text) == 'function' and text or function()
    return text
  end)
end

--- The last question asked (vim.ui.select or vim.ui.input).
function H.last_asked()
  return H.asked[#H.asked]
end

--- Waits for a message containing `text` (plain); returns it. `level` optional.
function H.wait_message(text, timeout_ms, level)
  local found
  H.wait_for(string.format('a message containing %q', text), timeout_ms or 30000, function()
    for _, m in ipairs(H.messages) do
      if m.message:find(text, 1, true) and (level == nil or m.level == level) then
        found = m
        return true
      end
    end
    return false
  end, H.describe)
  return found
end

--- Messages containing `text`.
function H.messages_with(text)
  return vim.tbl_filter(function(m)
    return m.message:find(text, 1, true) ~= nil
  end, H.messages)
end

--- Runs the agentls CLI in `cwd`; returns stdout (fails on a non-zero exit).
function H.cli(cwd, ...)
  local cmd = { H.server, '-C', cwd }
  vim.list_extend(cmd, { ... })
  return H.system(cmd)
end

--- Where captures go (test-output/nvim in the checkout, or $AGENTLS_TEST_OUTPUT).
H.output_dir = os.getenv('AGENTLS_TEST_OUTPUT') or (vim.fn.fnamemodify(H.plugin_dir, ':h:h') .. '/test-output/nvim')

--- Writes `lines` to test-output/nvim/<name>, tagged with the Neovim version.
function H.capture(name, lines)
  vim.fn.mkdir(H.output_dir, 'p')
  local v = vim.version()
  local path = string.format('%s/%s-nvim-%d.%d.txt', H.output_dir, name, v.major, v.minor)
  vim.fn.writefile(lines, path)
  return path
end

--- Types keys as a user would (mappings apply).
function H.press(keys)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), 'x', false)
end

--- The current buffer's lines as one text.
function H.text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false), '\n')
end

--- Puts the cursor on the first line of `bufnr` (in the current window) matching
--- the Lua pattern; fails when there is none.
function H.cursor_to(pattern, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line:find(pattern) then
      vim.api.nvim_win_set_cursor(0, { i, 0 })
      return i
    end
  end
  error(string.format('no line matches %q in:\n%s', pattern, H.text(bufnr)), 2)
end

--- The highlight groups the plugin's namespace NS puts on line ROW of BUFNR, as a set.
function H.highlight_groups(bufnr, ns, row)
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, vim.api.nvim_create_namespace(ns), { row - 1, 0 }, { row - 1, -1 }, { details = true })
  local groups = {}
  for _, mark in ipairs(marks) do
    groups[mark[4].hl_group] = true
  end
  return groups
end

--- Writes LINES to NAME in the worktree DIR and commits it there with MESSAGE.
function H.commit_file(dir, name, lines, message)
  H.write(dir .. '/' .. name, lines)
  H.git(dir, 'add', name)
  H.git(dir, 'commit', '-qm', message)
end

--- The session named `name` in `agentls status --json`.
function H.session(cwd, name)
  for _, session in ipairs(H.status(cwd).sessions) do
    if session.name == name then
      return session
    end
  end
  return nil
end

local function out(text)
  -- Leading newline: Neovim's own messages (e.g. "Running healthchecks...") end without one.
  io.stdout:write('\n' .. text .. '\n')
  io.stdout:flush()
end

--- Fails the test with `message` (caught by H.run).
function H.fail(message)
  error(message, 2)
end

function H.assert(condition, message)
  if not condition then
    error(message, 2)
  end
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(string.format('%s: expected %s, got %s', what, vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

--- Waits until `condition()` is truthy; fails naming `what` (and `detail()`) on timeout.
function H.wait_for(what, timeout_ms, condition, detail)
  if vim.wait(timeout_ms, condition, 25) then
    return
  end
  local extra = detail and ('\n' .. detail()) or ''
  error(string.format('timed out after %.1f s waiting for %s%s', timeout_ms / 1000, what, extra), 2)
end

--- Runs a command (argument list, no shell) and returns its output; fails on a non-zero exit.
function H.system(cmd)
  local output = vim.fn.system(cmd)
  if vim.v.shell_error ~= 0 then
    error(string.format('%s failed (exit %d): %s', table.concat(cmd, ' '), vim.v.shell_error, output), 2)
  end
  return output
end

function H.git(cwd, ...)
  local cmd = { 'git', '-C', cwd }
  vim.list_extend(cmd, { ... })
  return vim.trim(H.system(cmd))
end

--- A child Neovim with its own terminal UI (WIDTH columns) in a pseudo-terminal, the
--- user of a test that must see what a person sees (prompts, the command line); the
--- test talks to it over a socket. Returns the job and the RPC channel.
--- Attaching a UI over RPC instead would route redraw events to this Neovim, which
--- answers each with an error event the child answers in turn.
function H.child_neovim(init, file, width)
  local socket = vim.fn.tempname() .. '.sock'
  local job = vim.fn.jobstart({ vim.v.progpath, '--listen', socket, '-i', 'NONE', '-n', '-u', init, file },
    { pty = true, width = width, height = 24, on_stdout = function() end })
  H.assert(job > 0, 'could not start the child Neovim')
  -- The socket file appears when the child binds it, a moment before it listens:
  -- until then a connection is refused.
  local child
  local connected = vim.wait(10000, function()
    local ok, channel = pcall(vim.fn.sockconnect, 'pipe', socket, { rpc = true })
    if ok and channel > 0 then
      child = channel
      return true
    end
    return false
  end, 20)
  H.assert(connected, 'the child Neovim never accepted a connection on ' .. socket)
  return job, child
end

--- A fresh repository: { root, repo, alpha, beta } (see fixture.sh).
function H.fixture()
  local root = vim.fn.tempname() .. '-agentls'
  vim.fn.mkdir(root, 'p')
  root = vim.loop.fs_realpath(root)
  H.system({ 'bash', H.tests_dir .. '/fixture.sh', root })
  table.insert(fixtures, root)
  return { root = root, repo = root .. '/repo', alpha = root .. '/alpha', beta = root .. '/beta' }
end

--- Writes `lines` to `path` (as a tool or agent in another worktree would).
function H.write(path, lines)
  vim.fn.writefile(lines, path)
end

--- "line 1".."line n" with replacements { [i] = text }.
function H.numbered(n, replace)
  local lines = {}
  for i = 1, n do
    lines[i] = (replace and replace[i]) or ('line ' .. i)
  end
  return lines
end

--- The agentls CLI's report for a folder (`agentls status --json`).
function H.status(cwd)
  local cli = H.server
  local output = H.system({ cli, '-C', cwd, 'status', '--json' })
  return vim.fn.json_decode(output)
end

function H.setup(opts)
  require('agentls').setup(vim.tbl_deep_extend('force', { cmd = { H.server, 'serve' } }, opts or {}))
end

--- Opens a file in the current window and returns its buffer.
function H.edit(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

function H.clients()
  return require('agentls.client').clients()
end

--- The agentls client attached to `bufnr`, waiting until it finished initializing.
function H.client_of(bufnr, timeout_ms)
  local client
  H.wait_for('the agentls client to attach and initialize', timeout_ms or 20000, function()
    for _, c in ipairs(H.clients()) do
      if vim.lsp.buf_is_attached(bufnr, c.id) and c.initialized then
        client = c
        return true
      end
    end
    return false
  end, H.describe)
  return client
end

function H.diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == 'agentls' then
      table.insert(found, d)
    end
  end
  table.sort(found, function(a, b)
    return a.lnum < b.lnum
  end)
  return found
end

--- Messages, diagnostics and the LSP log's end, for failure reports.
function H.describe()
  local parts = { 'messages:' }
  for _, m in ipairs(H.messages) do
    table.insert(parts, string.format('  [%s] %s', tostring(m.level), m.message))
  end
  table.insert(parts, 'diagnostics:')
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(
        parts,
        string.format('  %s:%d [%s/%s] %s', vim.api.nvim_buf_get_name(bufnr), d.lnum + 1, tostring(d.source), tostring(d.code), d.message)
      )
    end
  end
  local log = vim.lsp.get_log_path()
  local lines = vim.fn.filereadable(log) == 1 and vim.fn.readfile(log) or {}
  table.insert(parts, 'lsp log (last 30 lines of ' .. log .. '):')
  for i = math.max(1, #lines - 29), #lines do
    table.insert(parts, '  ' .. lines[i])
  end
  return table.concat(parts, '\n')
end

local function stop_clients()
  local clients = H.clients()
  for _, client in ipairs(clients) do
    if vim.fn.has('nvim-0.11') == 1 then
      client:stop()
    else
      client.stop()
    end
  end
  vim.wait(3000, function()
    return #H.clients() == 0
  end, 50)
end

--- Runs the test body; prints "ok - name" or "not ok - name" with details, and quits
--- Neovim with status 0 or 1.
function H.run(name, body)
  local ok, err = xpcall(body, debug.traceback)
  if ok then
    out('ok - ' .. name)
  else
    out('not ok - ' .. name)
    out('  ' .. tostring(err):gsub('\n', '\n  '))
    out('  ' .. H.describe():gsub('\n', '\n  '))
    for _, root in ipairs(fixtures) do
      out('  fixture kept at ' .. root)
    end
  end
  pcall(stop_clients)
  if ok then
    for _, root in ipairs(fixtures) do
      vim.fn.delete(root, 'rf')
    end
    vim.cmd('qall!')
  else
    vim.cmd('cquit 1')
  end
end

return H
