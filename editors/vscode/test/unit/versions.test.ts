import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentButton, agentProgram } from '../../src/agent';
import { diffTitle, parseVersionUri, placeholderText, versionUriParts } from '../../src/versions';

describe('agentls: version URIs', () => {
  it('round-trip the session, the path and the version', () => {
    for (const ref of [
      { session: 'feat-billing', path: 'app/config.py', at: 'current' },
      { session: 'a.b_c', path: 'deep/dir/file name.md', at: 'base' },
      { session: 'x', path: 'f', at: '1a2b3c4d' },
    ]) {
      const parts = versionUriParts(ref);
      assert.ok(parts.path.endsWith(ref.path), 'the file name and extension stay visible');
      assert.deepEqual(parseVersionUri(parts.path, parts.query), ref);
    }
    assert.equal(parseVersionUri('/only', ''), undefined);
    assert.deepEqual(parseVersionUri('/s/p.py', ''), { session: 's', path: 'p.py', at: 'current' });
  });

  it('title the diff with both sessions and say why a side has no text', () => {
    assert.equal(diffTitle('app/config.py', 'feat-billing', 'login-work'), 'config.py (feat-billing ↔ login-work)');
    const ref = { session: 's', path: 'a.bin', at: 'current' };
    assert.equal(placeholderText({ text: 'x' }, ref), undefined);
    assert.match(placeholderText({ text: null, binary: true }, ref) ?? '', /binary/);
    assert.match(placeholderText({ text: null, exists: false }, ref) ?? '', /does not exist in s/);
  });
});

describe('agent command', () => {
  it('finds the program a command line runs', () => {
    assert.equal(agentProgram('claude'), 'claude');
    assert.equal(agentProgram('  codex --full-auto '), 'codex');
    assert.equal(agentProgram('"/opt/my agents/aider" --yes'), '/opt/my agents/aider');
    assert.equal(agentProgram('FOO=1 claude'), 'claude');
    assert.equal(agentProgram('   '), undefined);
    assert.equal(agentButton('claude --resume'), 'Start claude in Terminal');
    assert.equal(agentButton('/usr/local/bin/aider'), 'Start aider in Terminal');
    assert.equal(agentButton(''), 'Open Terminal There');
  });
});
