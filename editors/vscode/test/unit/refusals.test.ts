import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRefusal, errorObject, KNOWN_CODES, plainText } from '../../src/refusals';

/** Data shaped as docs/cli.md's "Refusal codes" registry (and the editors contract). */
const SAMPLES: Record<string, Record<string, unknown>> = {
  'claim-taken': { clashes: [{ glob: 'auth/**', owner: 'auth', theirs: 'auth/**' }], can_force: true },
  'claim-not-held': { session: 'auth', globs: ['x/**'], claims: ['auth/**'] },
  'session-not-found': { name: 'nope', known: ['auth', 'billing'] },
  'session-removed': { name: 'old', backup: 'refs/agentls/backup/old/20240101T000000' },
  'name-taken': { name: 'docs', renaming: false },
  'invalid-name': { name: 'a b', rule: 'letters, digits, . _ -' },
  'branch-exists': { branch: 'feat/x' },
  'branch-clash': { branch: 'a/b', existing: 'a' },
  'invalid-glob': { glob: '/abs', reason: 'absolute' },
  'invalid-priority': { priority: 9e9, low: -1000000, high: 1000000 },
  'dirty-worktree': { session: 'auth', role: 'session', path: '/r/a', paths: ['a.py', 'b.py'], count: 2, action: 'land' },
  'nothing-to-land': { session: 'auth', branch: 'feat/auth', trunk: 'main' },
  'research-fork': { session: 'probe' },
  'remote-session': { session: 'origin:codex/fix', remote: 'origin', ref: 'refs/heads/codex/fix' },
  'detached-head': { session: 'auth', path: '/r/a' },
  'on-trunk': { session: 'shop', trunk: 'main', action: 'remove' },
  'operation-in-progress': { session: 'auth', role: 'session', path: '/r/a', operation: 'rebase' },
  'lock-held': { holder: { session: 'billing', pid: 42, since: 1 } },
  'land-conflict': { session: 'auth', trunk: 'main', branch: 'feat/auth', files: ['app/config.py'], stopped_on: 'app/config.py', kept_open: false, predicted: false },
  'rebase-failed': { session: 'auth', trunk: 'main', branch: 'feat/auth', git: 'boom' },
  'command-failed': { session: 'auth', trunk: 'main', branch: 'feat/auth', kind: 'test', command: 'pytest -q', exit_code: 1, seconds: 3, backup: 'refs/agentls/backup/auth/1' },
  'branch-moved': { branch: 'feat/auth', now: 'abc' },
  'trunk-moved': { trunk: 'main', cas: 'abc' },
  'blocked-by-failure': { session: 'docs', blockers: ['auth'] },
  'primary-checkout': { session: 'shop', path: '/r/shop' },
  'unlanded-work': { session: 'auth', trunk: 'main', research: false, operation: null, dirty: true, unlanded: 2 },
  'landing-now': { session: 'auth', pid: 7 },
  'not-on-branch': { session: 'probe' },
  'no-backups': { session: 'auth', prefix: 'refs/agentls/backup/auth/' },
  'backup-not-found': { ref: 'refs/agentls/backup/auth/x', session: 'auth', known: ['refs/agentls/backup/auth/1'] },
  'session-folder-gone': { session: 'auth', path: '/r/a', action: 'land' },
  'trunk-checkout': { session: 'shop', path: '/r/shop', trunk: 'main' },
  'not-a-repository': { folder: '/tmp/x' },
  'engine-unavailable': {},
  'internal-error': {},
  'land-all-incomplete': { failed: ['auth'], skipped: ['docs'] },
  'land-failed': { session: 'broken', backup: 'refs/agentls/backup/broken/1' },
  'review-required': { session: 'auth', head: 'a'.repeat(40), review: null },
  'review-stale': { session: 'auth', reviewed: 'a'.repeat(40), current: 'b'.repeat(40) },
};

const jsonRpc = (code: string, data: Record<string, unknown>, message = `neutral ${code}`) => ({
  code: -32001,
  message,
  data: { code, message, data },
});

describe('describeRefusal', () => {
  it('words every code it knows from its data, without backticks or CLI flags', () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), [...KNOWN_CODES], 'a sample for each worded code');
    for (const code of KNOWN_CODES) {
      const refusal = describeRefusal(jsonRpc(code, SAMPLES[code]));
      assert.equal(refusal.code, code);
      assert.notEqual(refusal.text, `neutral ${code}`, `${code} is worded, not the neutral message`);
      assert.doesNotMatch(refusal.text, /`|--force|agentls [a-z]+ /, `${code}: ${refusal.text}`);
    }
  });

  it('offers the action that fits', () => {
    const actions = (code: string, data = SAMPLES[code]) => describeRefusal(jsonRpc(code, data)).actions;
    assert.deepEqual(actions('claim-taken'), ['claim-anyway']);
    assert.deepEqual(actions('claim-taken', { ...SAMPLES['claim-taken'], can_force: false }), []);
    assert.deepEqual(actions('unlanded-work'), ['remove-anyway']);
    assert.deepEqual(actions('session-removed'), ['bring-back']);
    assert.deepEqual(actions('command-failed'), ['show-output', 'restore-branch']);
    assert.deepEqual(actions('nothing-to-land'), []);
    assert.deepEqual(actions('review-required'), ['review-now']);
    assert.deepEqual(actions('review-stale'), ['review-again']);
  });

  it('says why a land waits for a review, and which heads a stale verdict was about', () => {
    const text = (code: string, data: Record<string, unknown>) => describeRefusal(jsonRpc(code, data)).text;
    assert.match(text('review-required', SAMPLES['review-required']), /^Landing auth needs an approval .*: auth at aaaaaaaa is not approved; it has not been reviewed\.$/);
    assert.match(
      text('review-required', { session: 'auth', head: 'c'.repeat(40), review: { verdict: 'approved', head: 'a'.repeat(40) } }),
      /it changed since it was approved at aaaaaaaa\.$/,
    );
    assert.match(text('review-required', { session: 'auth', head: 'c'.repeat(40), review: { verdict: 'changes-requested', head: 'c'.repeat(40) } }), /its latest review is changes requested\.$/);
    assert.match(text('review-stale', SAMPLES['review-stale']), /^auth moved while you reviewed it \(it is at bbbbbbbb now, not aaaaaaaa\): nothing was recorded\./);
  });

  it('says why a land failed in one clause, and names the conflicting files in either data shape', () => {
    const failed = describeRefusal(
      jsonRpc('land-failed', { session: 'broken' }, 'test “pytest” failed (exit 1) in 0.3s; main untouched; feat/broken stays rebased (old head at refs/agentls/backup/broken/1)'),
    );
    assert.equal(failed.text, 'Landing broken failed: test “pytest” failed (exit 1) in 0.3s.');
    assert.match(describeRefusal(jsonRpc('land-conflict', { session: 'a', conflicts: ['x.py'] })).text, /conflicts with trunk in x\.py|with trunk in x\.py/);
  });

  it('names the owner of a claim, in both the registry and the contract shapes', () => {
    assert.equal(describeRefusal(jsonRpc('claim-taken', SAMPLES['claim-taken'])).text, 'auth/** is claimed by auth.');
    assert.equal(
      describeRefusal(jsonRpc('claim-taken', { clashes: [{ glob: 'auth/*.py', owner: 'auth', theirs: 'auth/**' }] })).text,
      "auth/*.py overlaps auth's claim auth/**.",
    );
    assert.equal(describeRefusal(jsonRpc('claim-taken', { session: 'me', owner: 'auth', glob: 'auth/**' })).text, 'auth/** is claimed by auth.');
  });

  it('falls back to the neutral message for unknown codes and unknown data shapes', () => {
    assert.equal(describeRefusal(jsonRpc('brand-new-code', { x: 1 }, 'something new happened')).text, 'something new happened');
    const odd = describeRefusal(jsonRpc('claim-taken', { clashes: 'not a list' }, 'the glob is taken'));
    assert.equal(odd.text, 'the glob is taken');
    assert.equal(odd.code, 'claim-taken');
  });

  it('reads the error object wherever it is: JSON-RPC data, a result, an operation end', () => {
    const object = { code: 'nothing-to-land', message: 'm', data: SAMPLES['nothing-to-land'] };
    assert.deepEqual(errorObject({ data: object }), object);
    assert.deepEqual(errorObject({ ok: false, error: object }), object);
    assert.deepEqual(errorObject(object), object);
    assert.equal(errorObject({ message: 'plain' }), undefined);
    assert.equal(errorObject('text'), undefined);
  });

  it('offers the button a generic code\'s words call for (a server between versions)', () => {
    const claim = describeRefusal(jsonRpc('invalid-input', {}, "cannot claim: 'app/**' overlaps login-work's claim 'app/**'"));
    assert.deepEqual([claim.code, claim.actions], ['invalid-input', ['claim-anyway']]);
    // Servers before 2026-12-03 said "commit(s)"; later ones agree the noun with the count.
    for (const words of ['1 commit(s)', '1 commit', '2 commits']) {
      const remove = describeRefusal(jsonRpc('refused', {}, `session payments has ${words} not on main`));
      assert.deepEqual(remove.actions, ['remove-anyway'], words);
    }
    assert.deepEqual(describeRefusal(jsonRpc('invalid-input', {}, 'bad name')).actions, []);
  });

  it('shows an older server message as is, backticks turned into quotes, with the button its words call for', () => {
    const claim = describeRefusal(
      { message: "cannot claim: 'auth/**' overlaps auth's claim 'auth/**'; agree on module boundaries, release the other claim, or pass --force to share it" },
    );
    assert.equal(claim.code, undefined);
    assert.deepEqual(claim.actions, ['claim-anyway']);
    assert.equal(claim.text, "cannot claim: 'auth/**' overlaps auth's claim 'auth/**'", 'the CLI advice is dropped');
    assert.equal(
      describeRefusal({ message: "a session named 'docs' already exists; pick another name, or rename the existing one with `agentls rename docs NEW`" }).text,
      "a session named 'docs' already exists",
    );
    const remove = describeRefusal(new Error('session x has 1 commit not on main; land it first, or pass --force (a backup ref keeps the work)'));
    assert.deepEqual(remove.actions, ['remove-anyway']);
    assert.equal(plainText('rename it with `agentls rename docs NEW`'), 'rename it with “agentls rename docs NEW”');
    assert.doesNotMatch(describeRefusal({ message: 'see `agentls status`' }).text, /`/);
    assert.equal(describeRefusal({ message: 'nothing to land: x has no commits; commit your work first' }).text, 'nothing to land: x has no commits; commit your work first');
  });
});
