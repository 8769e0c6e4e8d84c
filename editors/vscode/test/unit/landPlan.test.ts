import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  branchMoved,
  landAllOutcome,
  landAllPlanView,
  landOutcome,
  landPlanView,
  planCommands,
  LandDryRun,
} from '../../src/landPlan';

// What agentls.session.land {dryRun: true} answers (agentls/lifecycle/land.py _dry_run).
const dry: LandDryRun = {
  ok: true,
  dryRun: true,
  session: 'docs',
  steps: [
    { step: 'lock', status: 'would', detail: 'take the land lock' },
    { step: 'backup', status: 'would', detail: 'keep 1234567890ab under refs/agentls/backup/docs/<time>' },
    { step: 'rebase', status: 'would', detail: 'rebase 2 commits of feat/docs onto main c0ffee00c0ff' },
    { step: 'build', status: 'would', detail: 'run `make`' },
    { step: 'test', status: 'would', detail: 'run `pytest -q`' },
    { step: 'fast-forward', status: 'would', detail: 'merge --ff-only in /r/shop' },
  ],
  message: 'dry run: docs would land 2 commits cleanly',
  conflicts: [],
  trunk: { old: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00', new: null },
};

const context = {
  branch: 'feat/docs',
  trunkBranch: 'main',
  commits: [
    { hash: 'a1b2c3d', subject: 'docs: more' },
    { hash: 'e4f5a6b', subject: 'docs: notes' },
  ],
  ahead: 2,
  behind: 1,
};

describe('landPlanView', () => {
  it('lists the commits, the checks that will run and trunk\'s new tip', () => {
    const view = landPlanView(dry, context);
    assert.equal(view.message, 'Land docs onto main?');
    assert.equal(view.confirm, 'Land');
    for (const line of ['2 commits of feat/docs:', 'a1b2c3d  docs: more', 'e4f5a6b  docs: notes', 'Rebase them onto main (c0ffee00c0ff)', 'build: make', 'test: pytest -q', "main's new tip is the rebased a1b2c3d"]) {
      assert.ok(view.detail.includes(line), `${line} in:\n${view.detail}`);
    }
    assert.doesNotMatch(view.detail, /`/);
    assert.doesNotMatch(view.detail, /c0ffee00c0ffee00c0ffee00/, 'no 40-character ids');
  });

  it('says when no rebase is needed and when no checks are configured', () => {
    const view = landPlanView({ ...dry, steps: dry.steps?.filter((s) => s.step !== 'build' && s.step !== 'test') }, { ...context, behind: 0, ahead: 3 });
    assert.match(view.detail, /No rebase: feat\/docs is already on main/);
    assert.match(view.detail, /No build or test command is configured/);
    assert.match(view.detail, /main fast-forwards to a1b2c3d/);
    assert.match(view.detail, /… and 1 more/);
  });

  it('warns about predicted conflicts and asks for "Land Anyway"', () => {
    const view = landPlanView({ ...dry, ok: false, conflicts: ['app/config.py'] }, context);
    assert.equal(view.message, 'Landing docs would conflict with main');
    assert.equal(view.confirm, 'Land Anyway');
    assert.match(view.detail, /Predicted conflicts with main: app\/config.py/);
  });

  it('reads the commands of a dry run', () => {
    assert.deepEqual(planCommands(dry.steps), [['build', 'make'], ['test', 'pytest -q']]);
    assert.deepEqual(planCommands(undefined), []);
  });
});

describe('landAllPlanView', () => {
  it('shows the order and what each would do', () => {
    const view = landAllPlanView(
      {
        ok: false,
        dryRun: true,
        plan: ['docs', 'billing'],
        results: [
          { session: 'docs', ok: true, skipped: false, message: 'dry run: docs would land 1 commit cleanly' },
          { session: 'billing', ok: false, skipped: false, message: 'dry run: billing would conflict on app/config.py' },
        ],
      },
      'main',
      [['billing', 'docs', 'app/x.py'], ['docs', 'billing', 'app/x.py'], ['billing', 'other', 'y']],
    );
    assert.ok(view);
    assert.match(view.message, /^Land 2 sessions onto main in this order\? \(billing would not land as things stand\)$/);
    assert.match(view.detail, /^1\. ✓ docs — would land 1 commit cleanly$/m);
    assert.match(view.detail, /^2\. ✗ billing — would conflict on app\/config.py$/m);
    assert.match(view.detail, /^billing conflicts with docs in app\/x.py: once docs lands, billing stops there\.$/m);
    assert.equal(view.detail.match(/conflicts with/g)?.length, 1, 'each pair once; sessions outside the plan left out');
    assert.equal(view.confirm, 'Land All');
    assert.equal(landAllPlanView({ ok: true, plan: [], results: [] }, 'main'), undefined);
  });

  it('names the sessions that wait for an approval when reviews gate landing', () => {
    const view = landAllPlanView(
      {
        ok: true,
        dryRun: true,
        plan: ['docs'],
        results: [{ session: 'docs', ok: true, skipped: false, message: 'dry run: docs would land 1 commit cleanly' }],
        waiting: [
          { session: 'auth', reason: 'not approved' },
          { session: 'billing', reason: 'changed since review' },
        ],
      },
      'main',
    );
    assert.ok(view);
    assert.match(view.detail, /^Waiting for an approval \(reviews gate landing here\): auth, billing\.$/m);
    assert.doesNotMatch(view.detail, /`|--approve|agentls review/);
  });
});

describe('outcomes', () => {
  it('say how trunk moved, in short ids', () => {
    assert.equal(
      landOutcome({ ok: true, session: 'docs', trunk: { old: '1234567890abcdef', new: 'abcdef1234567890' } }, 'main'),
      'Landed docs: main moved from 1234567890ab to abcdef123456.',
    );
    assert.equal(landOutcome({ ok: false, session: 'docs', message: 'landed docs: landed docs: tests failed' }, 'main'), 'Landing docs failed: tests failed');
    assert.equal(landOutcome({ ok: false, session: 'docs' }, 'main'), 'Landing docs failed; main did not move.');
    const worded = landOutcome(
      { ok: false, session: 'docs', error: { code: 'command-failed', message: 'm', data: { session: 'docs', kind: 'test', command: 'pytest', exit_code: 2, trunk: 'main' } } },
      'main',
    );
    assert.equal(worded, 'The test command (pytest) failed (exit 2) while landing docs; main did not move.');
  });

  it('name what landed, what failed and what was skipped (not "FAILED")', () => {
    assert.equal(
      landAllOutcome({
        ok: false,
        results: [
          { session: 'a', ok: true, message: '' },
          { session: 'b', ok: false, skipped: false, message: '' },
          { session: 'c', ok: false, skipped: true, message: '' },
        ],
      }),
      'Landed a; b did not land; skipped c (it overlaps one that failed).',
    );
    assert.equal(landAllOutcome({ ok: true, results: [] }), 'Nothing landed.');
    assert.equal(
      landAllOutcome({ ok: true, results: [{ session: 'a', ok: true, message: '' }], waiting: [{ session: 'b', reason: 'not approved' }] }),
      'Landed a; b waits for an approval.',
    );
  });

  it('offers restoring the branch only when the land had rebased it', () => {
    const base = { ok: false, session: 'x', backup: 'refs/agentls/backup/x/1' };
    assert.equal(branchMoved({ ...base, steps: [{ step: 'rebase', status: 'done', detail: '' }, { step: 'test', status: 'failed', detail: '' }] }), true);
    assert.equal(branchMoved({ ...base, steps: [{ step: 'rebase', status: 'conflict', detail: '' }] }), false);
    assert.equal(branchMoved({ ...base, backup: null, steps: [{ step: 'rebase', status: 'done', detail: '' }] }), false);
  });
});
