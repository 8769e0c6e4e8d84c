-- Drawing the plugin's own buffers (the sessions buffer, the review buffer):
-- lines built from highlighted segments, written in one go, with the cursor
-- kept on the item it was on.
local M = {}

--- Lines are built from segments { text, group? }; `draw` joins them and places
--- the highlights. `b.items[line]` is what the line stands for (or nil).
function M.builder()
  local b = { lines = {}, marks = {}, items = {} }
  function b.add(segments, item)
    local text, col = '', 0
    for _, segment in ipairs(segments) do
      local piece = segment[1] or ''
      if segment[2] and piece ~= '' then
        table.insert(b.marks, { #b.lines, col, col + #piece, segment[2] })
      end
      text = text .. piece
      col = col + #piece
    end
    table.insert(b.lines, text)
    b.items[#b.lines] = item
  end
  return b
end

--- `text` padded with spaces to `width` display cells.
function M.pad(text, width)
  text = tostring(text)
  return text .. string.rep(' ', math.max(width - vim.fn.strdisplaywidth(text), 0))
end

--- Writes a builder's lines and highlights into a read-only buffer. For every
--- window showing it, the cursor goes back to the line whose item has the same
--- `key(item)` as before (else the same line number), or to `focus` (a key)
--- when given.
function M.draw(bufnr, ns, b, old_items, key, focus)
  local keep = {}
  for _, win in ipairs(vim.fn.win_findbuf(bufnr)) do
    local line = vim.api.nvim_win_get_cursor(win)[1]
    local item = old_items and old_items[line]
    keep[win] = { key = focus or (item and key(item)), line = line }
  end
  vim.bo[bufnr].modifiable = true
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, b.lines)
  vim.bo[bufnr].modifiable = false
  vim.bo[bufnr].modified = false
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  for _, mark in ipairs(b.marks) do
    vim.api.nvim_buf_add_highlight(bufnr, ns, mark[4], mark[1], mark[2], mark[3])
  end
  for win, place in pairs(keep) do
    local target = math.min(place.line, #b.lines)
    if place.key then
      for line = 1, #b.lines do
        local item = b.items[line]
        if item and key(item) == place.key then
          target = line
          break
        end
      end
    end
    pcall(vim.api.nvim_win_set_cursor, win, { target, 0 })
  end
end

--- Window options of a list buffer (sessions, review): no numbers, no wrap.
function M.list_window()
  vim.wo.number = false
  vim.wo.relativenumber = false
  vim.wo.wrap = false
  vim.wo.cursorline = true
  vim.wo.signcolumn = 'no'
  vim.wo.foldcolumn = '0'
  vim.wo.list = false
end

--- The keys the user mapped to ACTION in the option table MAPPINGS ('mappings',
--- 'review_mappings'): none when set to false, one or a list.
function M.keys_of(mappings, action)
  local key = require('agentls.config').options[mappings][action]
  if key == false or key == nil then
    return {}
  end
  return type(key) == 'table' and key or { key }
end

--- Maps each of ACTIONS' keys in BUFNR to its <Plug>(PREFIX-action) mapping.
function M.map_plug_keys(bufnr, mappings, actions, prefix)
  for _, action in ipairs(actions) do
    for _, key in ipairs(M.keys_of(mappings, action)) do
      vim.api.nvim_buf_set_keymap(bufnr, 'n', key, '<Plug>(' .. prefix .. '-' .. action:gsub('_', '-') .. ')', { nowait = true, silent = true })
    end
  end
end

--- The name of a plugin buffer that is one per repository: KIND plus the
--- repository's main folder (the same from every worktree).
function M.repository_buffer_name(client, kind)
  local root = client.config and client.config.root_dir or tostring(client.id)
  local repo = require('agentls.git').repository(root)
  local folder = repo and repo.common_dir:gsub('/%.git$', '') or root
  return 'agentls://' .. kind .. folder
end

return M
