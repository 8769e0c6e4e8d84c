-- The commands of agentls's code actions, run by the client (`commands` in the
-- client config) instead of being sent straight to the server, so Neovim shows
-- their outcome: open the other session's version, compare natively, claim,
-- write the handoff note.
local M = {}

local function context(ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  return client and { client = client, bufnr = ctx.bufnr } or nil
end

local function argument(command)
  local arguments = command.arguments or {}
  return type(arguments[1]) == 'table' and arguments[1] or {}
end

local function open_location(path, line)
  vim.cmd('split ' .. vim.fn.fnameescape(path))
  pcall(vim.api.nvim_win_set_cursor, 0, { math.max(line or 1, 1), 0 })
end

--- Every command by name (what the client config's `commands` holds).
M.commands = {
  -- The server shows the file itself where the client supports
  -- window/showDocument (0.10+); otherwise it answers where it is (0.7).
  ['agentls.openOther'] = function(command, ctx)
    local c = context(ctx)
    local arg = argument(command)
    if not c then
      return
    end
    require('agentls.client').execute(c.client, 'agentls.openOther', arg, function(err, result)
      result = type(result) == 'table' and result or {}
      local shown = result.shown
      if shown == nil then
        shown = not err and result.ok == true -- a server from before `shown`
      end
      if shown then
        return
      end
      local location = type(result.location) == 'table' and result.location or nil
      if location and location.uri then
        local start = location.range and location.range.start and location.range.start.line or nil
        return open_location(vim.uri_to_fname(location.uri), start and (start + 1) or arg.line)
      end
      if type(arg.path) == 'string' then
        open_location(arg.path, arg.line)
      end
    end)
  end,
  ['agentls.compare'] = function(command, ctx)
    local c = context(ctx)
    local arg = argument(command)
    if not c or type(arg.path) ~= 'string' then
      return
    end
    local line = vim.api.nvim_win_get_cursor(0)[1]
    require('agentls.diff').open(c.client, arg.session, arg.other, arg.path, line)
  end,
  ['agentls.session.claim'] = function(command, ctx)
    local c = context(ctx)
    local arg = argument(command)
    if c and type(arg.session) == 'string' and type(arg.globs) == 'table' then
      require('agentls.actions').claim_globs(c, arg.session, arg.globs, 'ask')
    end
  end,
  ['agentls.session.handoff'] = function(command, ctx)
    local c = context(ctx)
    local arg = argument(command)
    if c and type(arg.session) == 'string' then
      require('agentls.actions').handoff(c, arg.session)
    end
  end,
}

return M
