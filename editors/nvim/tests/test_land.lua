-- :AgentLS land lands an independent, clean session: trunk fast-forwards to a
-- commit holding the session's work (checked with git), with one success
-- message. Progress goes through Neovim's LSP progress (vim.lsp.status() and
-- LspProgress on 0.10+, User LspProgressUpdate on 0.7), never one message per step.
local H = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/helpers.lua')

H.run(':AgentLS land (progress through LSP progress)', function()
  local fx = H.fixture()
  -- alpha adds a new file: independent of everything else, committed, clean.
  H.commit_file(fx.alpha, 'feature.txt', { 'alpha feature' }, 'alpha: add feature.txt')
  -- trunk gains a land configuration after alpha branched: land must rebase, then run it.
  H.commit_file(fx.repo, '.agentls.toml', { '[land]', 'test = "sleep 1; echo step one; test -f feature.txt"' }, 'land config')
  local old_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')

  -- What a progress plugin (fidget.nvim, a statusline) sees.
  local seen, status_texts = {}, {}
  if vim.fn.has('nvim-0.10') == 1 then
    vim.api.nvim_create_autocmd('LspProgress', {
      callback = function(args)
        local value = args.data and args.data.params and args.data.params.value or {}
        table.insert(seen, value.title or value.message or value.kind or '?')
        table.insert(status_texts, vim.lsp.status())
      end,
    })
  else
    vim.api.nvim_create_autocmd('User', {
      pattern = 'LspProgressUpdate',
      callback = function()
        for _, message in ipairs(vim.lsp.util.get_progress_messages()) do
          if message.name == 'agentls' then
            table.insert(seen, message.title or message.message or '?')
          end
        end
      end,
    })
  end

  H.setup()
  local buf = H.edit(fx.alpha .. '/feature.txt')
  H.client_of(buf)

  vim.cmd('AgentLS land')
  H.wait_for('a "landed alpha" message', 60000, function()
    for _, m in ipairs(H.messages) do
      if m.message:find('landed alpha', 1, true) or m.level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end, H.describe)
  for _, m in ipairs(H.messages) do
    H.assert(m.level < vim.log.levels.WARN, 'land reported a problem: ' .. m.message)
  end

  H.assert(#seen >= 3, 'LSP progress events for the land (begin, reports, end): ' .. vim.inspect(seen))
  if vim.fn.has('nvim-0.10') == 1 then
    local mentioned = vim.tbl_filter(function(text)
      return text:find('agentls', 1, true) ~= nil
    end, status_texts)
    H.assert(#mentioned > 0, 'vim.lsp.status() should mention agentls while landing: ' .. vim.inspect(status_texts))
  end
  -- Two messages: "landing alpha..." and "landed alpha...", not one per step.
  H.eq(2, #H.messages, 'messages shown for one land (' .. vim.inspect(H.messages) .. ')')

  local new_trunk = H.git(fx.repo, 'rev-parse', 'refs/heads/main')
  H.assert(new_trunk ~= old_trunk, 'trunk main did not move (still ' .. old_trunk .. ')')
  H.git(fx.repo, 'merge-base', '--is-ancestor', old_trunk, new_trunk) -- moved forward only
  H.eq('alpha feature', H.git(fx.repo, 'show', new_trunk .. ':feature.txt'), 'feature.txt on trunk')
  H.eq('land config', H.git(fx.repo, 'log', '-1', '--format=%s', new_trunk .. '~1'), 'alpha rebased onto the new trunk')
end)
