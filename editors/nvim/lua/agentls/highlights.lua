-- Highlight groups of the sessions and review buffers. Each is a `default` link, so a
-- colorscheme or `:highlight AgentlsConflict ...` in the user's config wins.
local M = {}

M.groups = {
  AgentlsHeader = 'Title',
  AgentlsSection = 'Label',
  AgentlsHelp = 'Comment',
  AgentlsKey = 'Special',
  AgentlsPath = 'Comment',
  AgentlsSession = 'Identifier',
  AgentlsSelf = 'Special',
  AgentlsRole = 'Type',
  AgentlsTrunk = 'Constant',
  AgentlsResearch = 'PreProc',
  AgentlsRemote = 'Special',
  AgentlsPriority = 'Number',
  AgentlsAhead = 'String',
  AgentlsBehind = 'WarningMsg',
  AgentlsDirty = 'WarningMsg',
  AgentlsClean = 'Comment',
  AgentlsClaim = 'Directory',
  AgentlsLanded = 'Comment',
  AgentlsMissing = 'ErrorMsg',
  AgentlsRemoved = 'Comment',
  AgentlsRunning = 'MoreMsg',
  AgentlsWarning = 'WarningMsg',
  AgentlsConflict = 'DiagnosticWarn',
  AgentlsOverlap = 'DiagnosticInfo',
  AgentlsOwnership = 'DiagnosticWarn',
  AgentlsResearchWrite = 'DiagnosticWarn',
  AgentlsSemantic = 'DiagnosticWarn',
  AgentlsChecks = 'MoreMsg',
  -- The review sweep (:AgentLS review) and review states in the sessions buffer.
  AgentlsApproved = 'String',
  AgentlsChangesRequested = 'WarningMsg',
  AgentlsChangedSinceReview = 'DiagnosticWarn',
  AgentlsSkipped = 'Comment',
  AgentlsUnreviewed = 'Comment',
  AgentlsLandable = 'String',
  AgentlsBlocked = 'WarningMsg',
  AgentlsChecksPassed = 'String',
  AgentlsChecksFailed = 'ErrorMsg',
  AgentlsOutsideClaims = 'WarningMsg',
  AgentlsCommit = 'Constant',
  AgentlsFileStatus = 'Type',
  AgentlsInsertions = 'String',
  AgentlsDeletions = 'WarningMsg',
  AgentlsUncommitted = 'WarningMsg',
}

--- The group of a collision kind ("research-write" -> AgentlsResearchWrite).
function M.for_kind(kind)
  local name = 'Agentls' .. tostring(kind):gsub('^%l', string.upper):gsub('%-(%l)', string.upper)
  return M.groups[name] and name or 'AgentlsConflict'
end

local defined = false

--- Defines the default links (again after a :colorscheme clears them).
function M.setup()
  for group, target in pairs(M.groups) do
    vim.cmd(string.format('highlight default link %s %s', group, target))
  end
  if not defined then
    defined = true
    vim.api.nvim_create_autocmd('ColorScheme', {
      group = vim.api.nvim_create_augroup('agentls-highlights', { clear = true }),
      callback = M.setup,
      desc = 'agentls: default highlight links',
    })
  end
end

return M
