// Real things for the end-to-end test: a generated git repository with worktrees, a
// code-server with the built .vsix installed, and Debian's Chromium driven by playwright-core.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'E2E Dev',
  GIT_AUTHOR_EMAIL: 'e2e@example.com',
  GIT_COMMITTER_NAME: 'E2E Dev',
  GIT_COMMITTER_EMAIL: 'e2e@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: process.env.HOME,
};

/** Run git with an argument list (never a shell string); returns trimmed stdout. */
export function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

function write(root, rel, text) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

const CONFIG = Array.from({ length: 12 }, (_, i) => `SETTING_${i + 1} = ${i + 1}\n`).join('');

/**
 * shop/          main (trunk)
 * shop-auth/     feat/auth     edits app/config.py lines 5-6 (committed)
 * shop-billing/  feat/billing  edits the same lines differently (committed) -> conflict with auth
 * shop-docs/     feat/docs     edits docs/notes.md only (committed, clean) -> independent, landable
 * shop-broken/   feat/broken   adds BROKEN, which the land's test refuses -> a land that fails
 *                              after its rebase (once trunk moved), so Restore has work to undo
 * Beside it, folders for the broken set-ups: a wrong server path, a Python without
 * agentls, a server that dies while starting, a folder outside git.
 */
export function makeRepository(root) {
  const main = path.join(root, 'shop');
  fs.mkdirSync(main, { recursive: true });
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'commit.gpgsign', 'false');
  write(main, 'app/config.py', CONFIG);
  write(main, 'docs/notes.md', '# Notes\n\nNothing yet.\n');
  write(main, 'README.md', '# shop\n');
  // The land check is a real command run by agentls on trunk's behalf.
  write(main, '.agentls.toml', '[land]\ntest = "test -f docs/notes.md && test ! -f BROKEN"\n');
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'initial');

  const worktree = (name, branch) => {
    const dir = path.join(root, `shop-${name}`);
    git(main, 'worktree', 'add', '-q', '-b', branch, dir, 'main');
    return dir;
  };
  const auth = worktree('auth', 'feat/auth');
  write(auth, 'app/config.py', CONFIG.replace('SETTING_5 = 5\nSETTING_6 = 6\n', 'SETTING_5 = 50  # auth\nSETTING_6 = 60\n'));
  git(auth, 'commit', '-q', '-am', 'auth: tune settings');

  const billing = worktree('billing', 'feat/billing');
  write(billing, 'app/config.py', CONFIG.replace('SETTING_5 = 5\nSETTING_6 = 6\n', 'SETTING_5 = 500  # billing\nSETTING_6 = 600\n'));
  git(billing, 'commit', '-q', '-am', 'billing: other settings');

  const docs = worktree('docs', 'feat/docs');
  write(docs, 'docs/notes.md', '# Notes\n\nLanding works from the palette.\n');
  git(docs, 'commit', '-q', '-am', 'docs: notes');

  const brokenSession = worktree('broken', 'feat/broken');
  write(brokenSession, 'BROKEN', 'the land test refuses this file\n');
  git(brokenSession, 'add', '-A');
  git(brokenSession, 'commit', '-q', '-m', 'broken: a file the tests refuse');

  // Repositories whose workspace settings configure a server that cannot run.
  const repoWith = (name, serverPath) => {
    const dir = path.join(root, name);
    fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    write(dir, 'README.md', `# ${name}\n`);
    git(dir, 'add', 'README.md');
    git(dir, 'commit', '-q', '-m', 'initial');
    write(dir, '.vscode/settings.json', JSON.stringify({ 'agentls.server.path': serverPath }, null, 2));
    return dir;
  };
  const broken = repoWith('broken', ['/nonexistent/agentls', 'serve']);
  const python = pythonWithoutAgentls();
  const nopython = repoWith('nopython', [...python, '-m', 'agentls', 'serve']);
  // A server that dies while starting, as a broken install does; it counts its starts.
  const crashScript = path.join(root, 'crash-server.sh');
  fs.writeFileSync(
    crashScript,
    '#!/bin/sh\necho start >> "$0.starts"\necho "Traceback (most recent call last):" >&2\n' +
      'echo "ModuleNotFoundError: No module named \'pygls\'" >&2\nexit 1\n',
  );
  fs.chmodSync(crashScript, 0o755);
  const crashing = repoWith('crashing', [crashScript, 'serve']);
  // A folder outside any git repository.
  const plain = path.join(root, 'plain');
  write(plain, 'notes.txt', 'not a repository\n');
  return { root, main, auth, billing, docs, brokenSession, broken, nopython, python, crashing, crashScript, plain };
}

/**
 * For the review sweep:
 * shop/       main (trunk); its land test (REVIEW_TEST) refuses a file named BROKEN
 * shop-api/   feat/api   priority 1: changes app/config.py, renames docs/old.md to
 *                        docs/guide.md (and edits it), adds app/api.py (committed);
 *                        README.md edited but not committed; its agent's own HANDOFF.md
 * shop-docs/  feat/docs  priority 2: adds docs/notes.md (committed, clean: landable)
 * shop-late/  feat/late  priority 3: adds app/late.py (committed)
 */
/** The review repository's land test (ci.sh): a second long, so a check's progress is on screen. */
export const REVIEW_TEST = 'sh ci.sh';

export function makeReviewRepository(root) {
  const main = path.join(root, 'shop');
  fs.mkdirSync(main, { recursive: true });
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'commit.gpgsign', 'false');
  write(main, 'app/config.py', CONFIG);
  write(main, 'docs/old.md', '# Guide\n\nStart here.\nThen read the code.\n');
  write(main, 'README.md', '# shop\n');
  write(main, 'ci.sh', '# the checks: refuse a file named BROKEN\nsleep 1\ntest ! -f BROKEN\n');
  write(main, '.agentls.toml', `[land]\ntest = "${REVIEW_TEST}"\n`);
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'initial');
  const worktree = (name, branch) => {
    const dir = path.join(root, `shop-${name}`);
    git(main, 'worktree', 'add', '-q', '-b', branch, dir, 'main');
    return dir;
  };
  const api = worktree('api', 'feat/api');
  write(api, 'app/config.py', CONFIG.replace('SETTING_3 = 3\n', 'SETTING_3 = 30  # api\n'));
  write(api, 'app/api.py', 'def handler(request):\n    return {"ok": True}\n');
  git(api, 'mv', 'docs/old.md', 'docs/guide.md');
  write(api, 'docs/guide.md', '# Guide\n\nStart here.\nThen read the code.\nThe API lives in app/api.py.\n');
  git(api, 'add', '-A');
  git(api, 'commit', '-q', '-m', 'api: a handler, settings, the guide');
  write(api, 'README.md', '# shop\n\nNow with an API.\n');
  // The agent's own notes: agentls keeps them as they are when it writes a review's request.
  const ownNotes = '# api session notes\n\nThe agent\'s own plan: keep the handler small.\n';
  write(api, 'HANDOFF.md', ownNotes);

  const docs = worktree('docs', 'feat/docs');
  write(docs, 'docs/notes.md', '# Notes\n\nReviewed and landed from VS Code.\n');
  git(docs, 'add', '-A');
  git(docs, 'commit', '-q', '-m', 'docs: notes');

  const late = worktree('late', 'feat/late');
  write(late, 'app/late.py', 'LATE = 1\n');
  git(late, 'add', '-A');
  git(late, 'commit', '-q', '-m', 'late: a module');
  return { root, main, api, docs, late, ownNotes };
}

/** A Python command that cannot import agentls: the system's, isolated from user site-packages. */
export function pythonWithoutAgentls() {
  for (const candidate of [['/usr/bin/python3', '-I'], ['/usr/bin/python3', '-I', '-S']]) {
    try {
      execFileSync(candidate[0], [...candidate.slice(1), '-c', 'import agentls'], { stdio: 'ignore' });
    } catch {
      return candidate;
    }
  }
  throw new Error('every python3 here imports agentls; the test needs one that does not');
}

/** The agentls CLI (the venv's, next to the server the workbench runs). */
export function agentls(cwd, ...args) {
  const proc = agentlsWith({}, cwd, ...args);
  if (proc.status !== 0) {
    throw new Error(`agentls ${args.join(' ')} exited ${proc.status}: ${proc.stderr}`);
  }
  return proc.stdout.trim();
}

/** The CLI with extra environment; returns {status, signal, stdout, stderr} (never throws). */
export function agentlsWith(extraEnv, cwd, ...args) {
  const [server] = JSON.parse(process.env.AGENTLS_SERVER);
  const proc = spawnSync(server, args, { cwd, env: { ...GIT_ENV, ...extraEnv }, encoding: 'utf8', timeout: 120_000 });
  if (proc.error) {
    throw proc.error;
  }
  return proc;
}

/** `agentls status --json` sessions by name. */
export function statusSessions(cwd) {
  const report = JSON.parse(agentls(cwd, 'status', '--json'));
  return Object.fromEntries(report.sessions.map((s) => [s.name, s]));
}

/** git worktree list as {path: branch-or-null}. */
export function worktrees(cwd) {
  const found = {};
  let current;
  for (const line of git(cwd, 'worktree', 'list', '--porcelain').split('\n')) {
    if (line.startsWith('worktree ')) {
      current = line.slice('worktree '.length);
      found[current] = null;
    } else if (line.startsWith('branch ') && current) {
      found[current] = line.slice('branch refs/heads/'.length);
    }
  }
  return found;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Poll CHECK (sync or async) until it returns a truthy value; fail with WHAT after TIMEOUT ms. */
export async function waitFor(what, check, timeout = 30_000, interval = 200) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) {
        return value;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Install VSIX into a fresh extensions dir and start code-server on a free port.
 * TRUST_ALL false keeps workspace trust on (the workbench asks).
 * Returns { url, port, proc, logFile, stop() }.
 */
export async function startCodeServer({ codeServer, nodeBin, vsix, dir, settings, trustAll = true }) {
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  const config = path.join(dir, 'code-server.yaml');
  // code-server is a remote workbench: machine-scoped settings (agentls.server.path) are
  // read from the Machine settings, the rest from the User settings.
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(userData, scope), { recursive: true });
    fs.writeFileSync(path.join(userData, scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }
  fs.writeFileSync(config, 'auth: none\ncert: false\n');
  // Its own temporary folder, removed with DIR: a workbench stopped by a signal never
  // deactivates the extension, which would leave its notes folder in /tmp.
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  const env = { ...process.env, PATH: `${nodeBin}${path.delimiter}${process.env.PATH}`, XDG_CONFIG_HOME: path.join(dir, 'xdg'), TMPDIR: tmp };
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  execFileSync(codeServer, [...common, '--install-extension', vsix], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

  const port = await freePort();
  const logFile = path.join(dir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const proc = spawn(
    codeServer,
    [
      ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(trustAll ? ['--disable-workspace-trust'] : []),
      '--disable-getting-started-override',
    ],
    { env, stdio: ['ignore', log, log], detached: true },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('code-server to answer /healthz', async () => {
    if (proc.exitCode !== null) {
      throw new Error(`code-server exited with ${proc.exitCode}; see ${logFile}`);
    }
    const response = await fetch(`${url}/healthz`).catch(() => undefined);
    return response?.ok;
  }, 60_000);
  return {
    url,
    port,
    proc,
    logFile,
    async stop() {
      if (proc.exitCode === null) {
        // Its own process group: the extension host and the agentls servers go too.
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        await waitFor('code-server to exit', () => proc.exitCode !== null || proc.signalCode !== null, 10_000).catch(() => {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        });
      }
    },
  };
}
