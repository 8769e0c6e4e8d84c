-- The review sweep in Neovim: `:AgentLS review` (agentls.review.buffer), each
-- session's changes as diffs in a tab (agentls.review.diff), the verbs
-- (agentls.review.verbs), the notes of a change request (agentls.review.notes).
-- The <Plug>(agentls-review-*) mappings come here.
local M = {}

local ui = require('agentls.ui')

--- Opens the review buffer of a client's repository (cursor on session `name`).
function M.open(client, name)
  return require('agentls.review.buffer').open(client, name)
end

--- The client of a review buffer, or nil.
function M.client_for(bufnr)
  return require('agentls.review.buffer').client_for(bufnr)
end

-- In a diff tab: the verbs act on the tab's session, at the head it shows.
local in_diff_tab = {
  next_file = function()
    require('agentls.review.diff').step(1)
  end,
  previous_file = function()
    require('agentls.review.diff').step(-1)
  end,
  close = function()
    require('agentls.review.diff').close()
  end,
}

local VERBS = { approve = true, approve_land = true, request_changes = true, skip = true, run_checks = true, remove = true }

local function verb(action, ctx, target)
  local verbs = require('agentls.review.verbs')
  verbs[action](ctx, target)
end

--- What a <Plug>(agentls-review-NAME) mapping does: in the review buffer, to
--- the session under the cursor; in a review diff tab, to its session; elsewhere
--- (verbs only), to the current buffer's session, or one picked.
function M.act(action)
  local bufnr = vim.api.nvim_get_current_buf()
  local buffer = require('agentls.review.buffer')
  if action == 'open' then
    if require('agentls.view').client_for(bufnr) then
      return require('agentls.view').act('review') -- at the session under the cursor
    end
    local client = buffer.client_for(bufnr)
    local err
    if not client then
      client, err = require('agentls.client').resolve(bufnr)
    end
    if not client then
      return ui.notify(err, vim.log.levels.ERROR)
    end
    return M.open(client)
  end
  if buffer.act(bufnr, action) then
    return
  end
  local tab = require('agentls.review.diff').current()
  if tab then
    if in_diff_tab[action] then
      return in_diff_tab[action]()
    end
    if VERBS[action] then
      local client = vim.lsp.get_client_by_id(tab.client_id)
      if not client then
        return ui.notify('the agentls server of this review stopped (:AgentLS restart)', vim.log.levels.WARN)
      end
      local item = tab.spec.item
      return verb(action, { client = client, bufnr = bufnr }, { session = tab.session, head = tab.spec.head, item = item })
    end
  end
  if not VERBS[action] and action ~= 'diff' then
    return
  end
  local client, err = require('agentls.client').resolve(bufnr)
  if not client then
    return ui.notify(err, vim.log.levels.ERROR)
  end
  local ctx = { client = client, bufnr = bufnr }
  local actions = require('agentls.actions')
  actions.target(ctx, 'review', nil, 'Review which session?', function(name)
    if action == 'diff' then
      return M.diff(client, name)
    end
    verb(action, ctx, { session = name })
  end)
end

--- Opens session `name`'s diff tab from a freshly read review item.
function M.diff(client, name, index)
  require('agentls.client').execute(client, 'agentls.review.item', { session = name }, function(err, answer)
    if err or type(answer) ~= 'table' or type(answer.item) ~= 'table' then
      return require('agentls.actions').fail(err or answer)
    end
    require('agentls.review.diff').open(client, require('agentls.review.buffer').diff_spec(answer.item), index)
  end)
end

--- <Plug> names of the review: `review` (open the buffer) and its actions.
function M.plug_names()
  local names = { 'review' }
  for action in pairs(require('agentls.config').defaults.review_mappings) do
    table.insert(names, 'review-' .. action:gsub('_', '-'))
  end
  table.sort(names)
  return names
end

return M
