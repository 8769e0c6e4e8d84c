import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { discoverServer, isExecutableFile, Probes, resolveExecutable } from '../../src/common/discovery';

function probes(executables: string[], importable: string[] = []): Probes & { imports: string[][] } {
  const imports: string[][] = [];
  return {
    imports,
    isExecutable: (file) => executables.includes(file),
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
      { serverPath: ['/venv/bin/agentls', 'serve', '--log', 'x'], interpreter: ['/usr/bin/python3'], pathEnv: '/usr/bin' },
      p,
    );
    assert.ok(found.ok);
    assert.deepEqual([found.server.command, found.server.args], ['/venv/bin/agentls', ['serve', '--log', 'x']]);
    assert.match(found.server.source, /agentls.server.path/);
    assert.deepEqual(p.imports, []);
  });

  it('resolves a bare server.path command on PATH', async () => {
    const found = await discoverServer({ serverPath: ['agentls', 'serve'], pathEnv: '/a:/b' }, probes(['/b/agentls']));
    assert.ok(found.ok);
    assert.equal(found.server.command, '/b/agentls');
  });

  it('does not guess when the configured server.path is broken', async () => {
    const found = await discoverServer(
      { serverPath: ['/missing/agentls', 'serve'], interpreter: ['/usr/bin/python3'], pathEnv: '/usr/bin' },
      probes(['/usr/bin/agentls'], ['/usr/bin/python3']),
    );
    assert.equal(found.ok, false);
    assert.match(found.tried.join('\n'), /\/missing\/agentls is not an executable/);
  });

  it('then the Python interpreter when it can import agentls', async () => {
    const found = await discoverServer(
      { serverPath: [], interpreter: ['/opt/conda/bin/conda', 'run', 'python'], pathEnv: '/usr/bin' },
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
      { serverPath: [], interpreter: ['/usr/bin/python3'], pathEnv: '/nope:/usr/local/bin' },
      probes(['/usr/local/bin/agentls']),
    );
    assert.ok(found.ok);
    assert.deepEqual([found.server.command, found.server.args], ['/usr/local/bin/agentls', ['serve']]);
    assert.match(found.tried.join('\n'), /cannot import agentls/);
  });

  it('fails with every reason when nothing works', async () => {
    const found = await discoverServer({ serverPath: [], pathEnv: '/usr/bin' }, probes([]));
    assert.equal(found.ok, false);
    assert.equal(found.tried.length, 3);
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
