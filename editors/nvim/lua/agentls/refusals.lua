-- Refusals worded for Neovim. The server answers a refused command with a stable
-- code and data (docs/cli.md, "Refusal codes"); this is the one place that turns
-- them into a sentence naming the :AgentLS command that helps. A code it does not
-- know is shown with the server's neutral message.
local M = {}

local function list(items, limit)
  if type(items) ~= 'table' or #items == 0 then
    return ''
  end
  limit = limit or 5
  local shown = vim.list_slice(items, 1, limit)
  local text = table.concat(vim.tbl_map(tostring, shown), ', ')
  if #items > limit then
    text = text .. string.format(' and %d more', #items - limit)
  end
  return text
end

local function present(value)
  return value ~= nil and value ~= vim.NIL and value ~= ''
end

--- The error object {code, message, data} inside whatever the server sent:
--- a JSON-RPC error (its `data`), an operation's or a result's `error`, or the
--- object itself. nil when there is none.
function M.error_object(err)
  if type(err) ~= 'table' then
    return nil
  end
  if type(err.data) == 'table' and type(err.data.code) == 'string' then
    return err.data
  end
  if type(err.error) == 'table' and type(err.error.code) == 'string' then
    return err.error
  end
  if type(err.code) == 'string' then
    return err
  end
  return nil
end

--- The stable code of a refusal, or nil (an older server, or not a refusal).
function M.code(err)
  local object = M.error_object(err)
  return object and object.code or nil
end

-- code -> function(data, message) returning the sentence.
local words = {}

words['claim-taken'] = function(data, message)
  local clashes = type(data.clashes) == 'table' and data.clashes or {}
  if #clashes == 0 then
    return message .. '; :AgentLS! claim takes it'
  end
  local parts, globs = {}, {}
  for _, clash in ipairs(clashes) do
    table.insert(parts, string.format('%s overlaps %s\'s claim %s', clash.glob, clash.owner, clash.theirs))
    if not vim.tbl_contains(globs, clash.glob) then
      table.insert(globs, clash.glob)
    end
  end
  return string.format('%s; :AgentLS! claim %s takes it', table.concat(parts, '; '), table.concat(globs, ' '))
end

words['claim-not-held'] = function(data)
  local claims = type(data.claims) == 'table' and data.claims or {}
  return string.format(
    '%s does not claim %s (its claims: %s)',
    data.session,
    list(data.globs),
    #claims > 0 and list(claims, 10) or 'none'
  )
end

words['session-not-found'] = function(data)
  local known = type(data.known) == 'table' and data.known or {}
  return string.format('no session named %s%s', data.name, #known > 0 and (' (sessions: ' .. list(known, 8) .. ')') or '')
end

words['session-removed'] = function(data)
  return string.format(
    'session %s was removed; :AgentLS restore %s brings it back from its latest backup (%s)',
    data.name,
    data.name,
    tostring(data.backup)
  )
end

words['name-taken'] = function(data)
  return string.format('a session named %s already exists; pick another name, or :AgentLS rename %s {new}', data.name, data.name)
end

words['invalid-name'] = function(data, message)
  return present(data.rule) and string.format('invalid session name %q: %s', tostring(data.name), data.rule) or message
end

words['dirty-worktree'] = function(data)
  local paths = type(data.paths) == 'table' and data.paths or {}
  local count = tonumber(data.count) or #paths
  return string.format(
    '%s has %d uncommitted change%s (%s); commit or stash %s first',
    data.session or 'the session',
    count,
    count == 1 and '' or 's',
    list(paths),
    count == 1 and 'it' or 'them'
  )
end

words['nothing-to-land'] = function(data)
  return string.format('%s has no commits %s lacks: nothing to land', data.session or data.branch, data.trunk or 'trunk')
end

words['remote-session'] = function(data)
  return string.format('%s lives on another machine (%s on %s): compare with it, but change it only there', data.session, tostring(data.ref or '?'):gsub('^refs/heads/', ''), tostring(data.remote))
end

words['research-fork'] = function(data)
  return string.format('%s is a research fork: it is never landed (:AgentLS remove %s when done)', data.session, data.session)
end

words['on-trunk'] = function(data)
  return string.format('%s has trunk %s checked out; it cannot be %s', data.session, tostring(data.trunk), data.action == 'remove' and 'removed' or 'landed')
end

words['primary-checkout'] = function(data)
  return string.format('%s is the repository\'s main checkout (%s); it cannot be removed', data.session, data.path)
end

words['unlanded-work'] = function(data)
  local what = {}
  if present(data.unlanded) and tonumber(data.unlanded) and tonumber(data.unlanded) > 0 then
    table.insert(what, string.format('%d commit%s not on %s', data.unlanded, tonumber(data.unlanded) == 1 and '' or 's', tostring(data.trunk)))
  end
  if data.dirty == true or (type(data.dirty) == 'table' and #data.dirty > 0) then
    table.insert(what, 'uncommitted changes')
  end
  if present(data.operation) then
    table.insert(what, 'a ' .. data.operation .. ' in progress')
  end
  local first = data.research and '' or 'land it first, or '
  return string.format(
    '%s has %s; %s:AgentLS! remove %s removes it anyway (a backup ref keeps the work)',
    data.session,
    #what > 0 and table.concat(what, ' and ') or 'work that exists nowhere else',
    first,
    data.session
  )
end

words['landing-now'] = function(data)
  return string.format('%s is being landed right now (pid %s); wait for the land to finish', data.session, tostring(data.pid))
end

words['lock-held'] = function(data)
  local holder = type(data.holder) == 'table' and data.holder or nil
  if holder then
    return string.format('another land holds the land lock (%s, pid %s); try again when it ends', tostring(holder.session), tostring(holder.pid))
  end
  return 'another land holds the land lock; try again when it ends'
end

words['land-conflict'] = function(data)
  local files = type(data.files) == 'table' and data.files or {}
  return string.format(
    'landing %s would conflict with %s in %s; rebase it by hand, or :AgentLS handoff %s',
    data.session,
    tostring(data.trunk or 'trunk'),
    #files > 0 and list(files) or 'some files',
    data.session
  )
end

words['command-failed'] = function(data)
  local how = present(data.exit_code) and ('exit ' .. tostring(data.exit_code)) or 'timed out'
  return string.format('%s of %s failed (%s: %s); trunk did not move', data.kind or 'the check', data.session, how, tostring(data.command))
end

words['operation-in-progress'] = function(data)
  return string.format('a %s is in progress in %s; finish or abort it first', tostring(data.operation), tostring(data.path))
end

words['no-backups'] = function(data)
  return string.format('%s has no backups to restore', data.session)
end

words['backup-not-found'] = function(data)
  local known = type(data.known) == 'table' and data.known or {}
  return string.format('no backup %s%s', tostring(data.ref), #known > 0 and (' (backups of ' .. tostring(data.session) .. ': ' .. list(known) .. ')') or '')
end

words['not-on-branch'] = function(data)
  return string.format('%s is not on a branch: nothing to restore', data.session)
end

words['session-folder-gone'] = function(data)
  return string.format('the folder of %s is gone (%s); :AgentLS! remove %s forgets it', data.session, data.path, data.session)
end

words['trunk-checkout'] = function(data)
  return string.format('%s is trunk\'s checkout: a handoff note is only written into a session\'s own worktree', data.session)
end

words['detached-head'] = function(data)
  return string.format('%s is not on a branch; check out a branch in %s first', data.session, tostring(data.path))
end

words['review-stale'] = function(data)
  return string.format(
    '%s moved while you reviewed it (it is at %s now, not %s); look at the new commits (:AgentLS review), then decide again',
    tostring(data.session),
    tostring(data.current or '?'):sub(1, 8),
    tostring(data.reviewed or '?'):sub(1, 8)
  )
end

words['review-required'] = function(data)
  local review = type(data.review) == 'table' and data.review or nil
  local why = review and present(review.verdict) and ('its latest review is ' .. tostring(review.verdict):gsub('%-', ' ')) or 'it has not been reviewed'
  return string.format(
    'land requires an approval (require-review is on): %s at %s is not approved, %s; approve it in :AgentLS review %s',
    tostring(data.session),
    tostring(data.head or '?'):sub(1, 8),
    why,
    tostring(data.session)
  )
end

words['not-a-repository'] = function(data)
  return string.format('%s is not inside a git repository', tostring(data.folder))
end

--- The sentence for a refusal (a JSON-RPC error, an error object, or a result
--- with `ok = false`), and its code (nil when the server sent none).
function M.describe(err)
  if type(err) ~= 'table' then
    return tostring(err), nil
  end
  local object = M.error_object(err)
  if object then
    local data = type(object.data) == 'table' and object.data or {}
    local message = present(object.message) and object.message or (err.message or object.code)
    local word = words[object.code]
    if word then
      local ok, text = pcall(word, data, message)
      if ok and type(text) == 'string' then
        return text, object.code
      end
    end
    return message, object.code
  end
  return err.message or vim.inspect(err), nil
end

--- Codes worded here (for the tests and the docs).
function M.known()
  local codes = vim.tbl_keys(words)
  table.sort(codes)
  return codes
end

return M
