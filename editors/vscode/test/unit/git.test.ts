// The extension's read-only git questions, against real repositories in a temp folder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backups, commitsToLand, parseBackupRefs, parseCommitLines, repositoryOf } from '../../src/common/git';

const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();

describe('git questions', () => {
  let dir: string;
  let repo: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentls-git-unit-'));
    repo = path.join(dir, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'first');
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tells a repository from a plain folder', async () => {
    const inside = await repositoryOf(repo);
    assert.ok(inside.ok);
    assert.equal(fs.realpathSync(inside.toplevel), fs.realpathSync(repo));
    const plain = path.join(dir, 'plain');
    fs.mkdirSync(plain);
    const outside = await repositoryOf(plain);
    assert.ok(!outside.ok);
    assert.equal(outside.reason, 'not-a-repository');
    const gone = await repositoryOf(path.join(dir, 'gone'));
    assert.ok(!gone.ok);
    assert.equal(gone.reason, 'folder-gone');
  });

  it('lists backup refs by session, oldest first', async () => {
    const head = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'update-ref', 'refs/agentls/backup/old/20240102T000000', head);
    git(repo, 'update-ref', 'refs/agentls/backup/old/20240101T000000', head);
    git(repo, 'update-ref', 'refs/agentls/backup/auth/20240103T000000', head);
    const found = await backups(repo);
    assert.deepEqual([...found.keys()].sort(), ['auth', 'old']);
    assert.deepEqual(found.get('old')?.map((b) => b.stamp), ['20240101T000000', '20240102T000000']);
    assert.deepEqual(parseBackupRefs('refs/agentls/backup/x\nrefs/heads/main\n'), new Map(), 'malformed refs are skipped');
  });

  it('lists the commits a land would take', async () => {
    const base = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'checkout', '-q', '-b', 'feat');
    for (const n of [1, 2]) {
      fs.writeFileSync(path.join(repo, `f${n}.txt`), `${n}\n`);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', `feat: step ${n}`);
    }
    const commits = await commitsToLand(repo, base, 'feat');
    assert.deepEqual(commits.map((c) => c.subject), ['feat: step 2', 'feat: step 1']);
    assert.deepEqual(parseCommitLines('abc\tsubject\twith tab\n\n'), [{ hash: 'abc', subject: 'subject\twith tab' }]);
    assert.deepEqual(await commitsToLand(repo, base, 'no-such-branch'), []);
  });
});
