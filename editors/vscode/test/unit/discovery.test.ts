import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { discoverServer, isExecutableFile, Probes, resolveExecutable } from '../../src/common/discovery';

function probes(executables: string[], importable: string[] = [], existing: string[] = []): Probes & { imports: string[][] } {
  const imports: string[][] = [];
  return {
    imports,
    isExecutable: (file) => executables.includes(file),
    exists: (file) => executables.includes(file) || existing.includes(file),
    canImportAgentls: async (interp) => {
      imports.push(interp);
      return importable.includes(interp[0]);
    },
  };
}

describe('discoverServer', () => {
  it('uses agentls.server.path first, as given, without asking Python', async () => {
    const p = probes(['/venv/bin/agentls', '/usr/bin/agentls'], ['/usr/bin/python3']);
    const found = await discoverServer(
      { serverPath: ['/venv/bin/agentls', 'serve', '--log', 'x'], interpreter: ['/usr/bin/python3'], pathEnv: '/usr/bin', pythonExtension: true },
      p,
    );
    assert.ok(found.ok);
    assert.deepEqual([found.server.command, found.server.args], ['/venv/bin/agentls', ['serve', '--log', 'x']]);
    assert.match(found.server.source, /agentls.server.path/);
    assert.deepEqual(p.imports, []);
  });

  it('resolves a bare server.path command on PATH', async () => {
    const found = await discoverServer({ serverPath: ['agentls', 'serve'], pathEnv: '/a:/b', pythonExtension: false }, probes(['/b/agentls']));
    assert.ok(found.ok);
    assert.equal(found.server.command, '/b/agentls');
  });

  it('does not guess when the configured server.path is broken', async () => {
    const found = await discoverServer(
      { serverPath: ['/missing/agentls', 'serve'], serverPathScope: 'workspace', interpreter: ['/usr/bin/python3'], pathEnv: '/usr/bin', pythonExtension: true },
      probes(['/usr/bin/agentls'], ['/usr/bin/python3']),
    );
    assert.equal(found.ok, false);
    assert.match(found.tried.join('\n'), /\/missing\/agentls is not an executable/);
    assert.ok(!found.ok);
    assert.deepEqual(found.problem, { kind: 'path-not-executable', command: '/missing/agentls', missing: true, scope: 'workspace' });
  });

  it('says a configured file exists but cannot be run', async () => {
    const found = await discoverServer(
      { serverPath: ['/venv/bin/agentls'], pathEnv: '/usr/bin', pythonExtension: false },
      probes([], [], ['/venv/bin/agentls']),
    );
    assert.ok(!found.ok);
    assert.deepEqual(found.problem, { kind: 'path-not-executable', command: '/venv/bin/agentls', missing: false, scope: undefined });
  });

  it('checks that the Python of a configured "python -m agentls" can import agentls', async () => {
    const without = probes(['/usr/bin/python3'], []);
    const found = await discoverServer(
      { serverPath: ['/usr/bin/python3', '-I', '-m', 'agentls', 'serve'], serverPathScope: 'user', pathEnv: '/usr/bin', pythonExtension: false },
      without,
    );
    assert.ok(!found.ok);
    assert.deepEqual(found.problem, { kind: 'python-lacks-agentls', interpreter: ['/usr/bin/python3', '-I'], scope: 'user' });
    assert.deepEqual(without.imports, [['/usr/bin/python3', '-I']], 'the configured interpreter is the one asked');
    const withIt = await discoverServer(
      { serverPath: ['python3', '-m', 'agentls', 'serve'], pathEnv: '/usr/bin', pythonExtension: false },
      probes(['/usr/bin/python3'], ['/usr/bin/python3']),
    );
    assert.ok(withIt.ok);
    assert.deepEqual([withIt.server.command, withIt.server.args, withIt.server.fromSetting], ['/usr/bin/python3', ['-m', 'agentls', 'serve'], true]);
  });

  it('then the Python interpreter when it can import agentls', async () => {
    const found = await discoverServer(
      { serverPath: [], interpreter: ['/opt/conda/bin/conda', 'run', 'python'], pathEnv: '/usr/bin', pythonExtension: true },
      probes(['/usr/bin/agentls'], ['/opt/conda/bin/conda']),
    );
    assert.ok(found.ok);
    assert.deepEqual(
      [found.server.command, found.server.args],
      ['/opt/conda/bin/conda', ['run', 'python', '-m', 'agentls', 'serve']],
    );
  });

  it('then agentls on PATH, explaining what was skipped', async () => {
    const found = await discoverServer(
      { serverPath: [], interpreter: ['/usr/bin/python3'], pathEnv: '/nope:/usr/local/bin', pythonExtension: true },
      probes(['/usr/local/bin/agentls']),
    );
    assert.ok(found.ok);
    assert.deepEqual([found.server.command, found.server.args], ['/usr/local/bin/agentls', ['serve']]);
    assert.match(found.tried.join('\n'), /cannot import agentls/);
  });

  it('fails with every reason when nothing works, naming the interpreter that lacks agentls', async () => {
    const found = await discoverServer({ serverPath: [], pathEnv: '/usr/bin', pythonExtension: false }, probes(['/usr/bin/python3']));
    assert.ok(!found.ok);
    assert.equal(found.tried.length, 3);
    assert.deepEqual(found.problem, { kind: 'not-found', interpreter: undefined, python: '/usr/bin/python3', pythonExtension: false });
    const selected = await discoverServer(
      { serverPath: [], interpreter: ['/venv/bin/python'], pathEnv: '/usr/bin', pythonExtension: true },
      probes(['/usr/bin/python3']),
    );
    assert.ok(!selected.ok);
    assert.deepEqual(selected.problem, { kind: 'not-found', interpreter: ['/venv/bin/python'], python: '/usr/bin/python3', pythonExtension: true });
  });
});

describe('executables', () => {
  it('checks the execute bit and file type on the real file system', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-unit-'));
    try {
      const script = path.join(dir, 'agentls');
      fs.writeFileSync(script, '#!/bin/sh\n');
      assert.equal(isExecutableFile(script), false);
      fs.chmodSync(script, 0o755);
      assert.equal(isExecutableFile(script), true);
      assert.equal(isExecutableFile(dir), false);
      assert.equal(resolveExecutable('agentls', `/nonexistent${path.delimiter}${dir}`, { isExecutable: isExecutableFile }), script);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
