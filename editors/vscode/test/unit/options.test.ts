import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SEVERITY, serverOptions, serverPathSetting } from '../../src/common/options';

describe('serverOptions', () => {
  it('gives the contract defaults for empty settings', () => {
    assert.deepEqual(serverOptions(() => undefined), { severity: DEFAULT_SEVERITY, ignore: [], trunk: null, logLevel: 'info' });
  });

  it('takes valid values and drops invalid ones', () => {
    const raw: Record<string, unknown> = {
      'severity.conflict': 'error',
      'severity.overlap': 'loud',
      ignore: ['*.lock', 3, ''],
      trunk: ' develop ',
      logLevel: 'verbose',
    };
    const options = serverOptions((key) => raw[key]);
    assert.equal(options.severity.conflict, 'error');
    assert.equal(options.severity.overlap, 'information');
    assert.deepEqual(options.ignore, ['*.lock']);
    assert.equal(options.trunk, 'develop');
    assert.equal(options.logLevel, 'info');
  });
});

describe('serverPathSetting', () => {
  it('accepts an array or a lone string', () => {
    assert.deepEqual(serverPathSetting(['/v/bin/agentls', 'serve', '']), ['/v/bin/agentls', 'serve']);
    assert.deepEqual(serverPathSetting('/v/bin/agentls'), ['/v/bin/agentls']);
    assert.deepEqual(serverPathSetting(''), []);
    assert.deepEqual(serverPathSetting(42), []);
  });
});
