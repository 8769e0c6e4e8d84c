-- Messages, scratch buffers and the quickfix list: how results reach the user.
local M = {}

local PREFIX = 'agentls: '

--- Shows a message (through vim.notify, so notification plugins pick it up).
function M.notify(message, level)
  vim.notify(PREFIX .. message, level or vim.log.levels.INFO)
end

local shown = {}

--- Like notify, but only once per message per session of Neovim.
function M.notify_once(message, level)
  if shown[message] then
    return
  end
  shown[message] = true
  M.notify(message, level)
end

--- Forgets which once-only messages were shown (after a restart).
function M.forget_once()
  shown = {}
end

--- Shows a one-line message once, after Neovim has started: messages given while
--- it starts stack up into a hit-enter prompt that looks like a crash (0.7).
function M.notify_after_startup(message, level)
  if shown[message] then
    return
  end
  shown[message] = true
  local function show()
    vim.defer_fn(function()
      -- A line longer than the command line scrolls: a hit-enter prompt again.
      local text = PREFIX .. message
      local room = math.max((vim.v.echospace or vim.o.columns) - 1, 20)
      if vim.fn.strdisplaywidth(text) > room then
        text = vim.fn.strcharpart(text, 0, room - 1) .. '…'
      end
      vim.notify(text, level or vim.log.levels.INFO)
    end, 50)
  end
  if vim.v.vim_did_enter == 1 then
    show()
  else
    vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = show })
  end
end

--- Opens (or reuses) a read-only scratch buffer called `name` in a split and
--- fills it with `lines`. Returns the buffer number.
function M.scratch(name, lines, filetype)
  local bufname = 'agentls://' .. name
  local bufnr = vim.fn.bufnr(bufname)
  if bufnr == -1 then
    bufnr = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(bufnr, bufname)
    vim.bo[bufnr].bufhidden = 'hide'
    vim.bo[bufnr].swapfile = false
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  if filetype then
    vim.bo[bufnr].filetype = filetype
  end
  local win = vim.fn.bufwinid(bufnr)
  if win == -1 then
    vim.cmd('botright split')
    vim.api.nvim_win_set_buf(0, bufnr)
  else
    vim.api.nvim_set_current_win(win)
  end
  return bufnr
end

--- Splits text on newlines into buffer lines.
function M.lines(text)
  return vim.split(text or '', '\n', { plain = true })
end

--- Describes a refusal or JSON-RPC error from the server in one line, worded
--- from its stable code (agentls.refusals); the code is the second value.
function M.describe_error(err)
  return require('agentls.refusals').describe(err)
end

--- Asks a question with vim.ui.select (so picker plugins show it) and calls
--- `on_choice(index)` with the chosen index, or nil when dismissed.
function M.choose(prompt, choices, on_choice)
  vim.ui.select(choices, { prompt = prompt }, function(_, index)
    on_choice(index)
  end)
end

--- Asks a yes/no question; `on_yes()` runs only on "yes".
function M.confirm(prompt, yes, on_yes)
  M.choose(prompt, { yes, 'Cancel' }, function(index)
    if index == 1 then
      on_yes()
    end
  end)
end

--- Shows a transient line in the command line (not kept in :messages).
function M.echo(text)
  local width = math.max(vim.v.echospace or (vim.o.columns - 12), 20)
  if #text > width then
    text = text:sub(1, width - 1) .. '…'
  end
  pcall(vim.api.nvim_echo, { { text } }, false, {})
end

return M
