import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allCollisions,
  collisionDescription,
  collisionLabel,
  collisionsOf,
  formatRanges,
  landMessage,
  nameProblem,
  parseGlobs,
  pickOrder,
  plural,
  Report,
  SessionsChanged,
  sessionDescription,
  sessionList,
  statusView,
  summariesFromReport,
} from '../../src/model';

const report: Report = {
  trunk: { branch: 'main', commit: 'c0ffee00c0ffee00' },
  sessions: [
    session('shop', '/r/shop', 'main', { is_trunk: true, priority: 0 }),
    session('auth', '/r/shop-auth', 'feat/auth', { priority: 1, changed: ['auth/login.py', 'app/config.py'] }),
    session('hotfix', '/r/shop-hotfix', 'fix/timeout', { priority: 2, changed: ['auth/login.py'] }),
    session('billing', '/r/shop-billing', 'feat/billing', { priority: 3, changed: ['app/config.py'] }),
  ],
  overlaps: [
    { kind: 'overlap', path: 'app/config.py', sessions: ['auth', 'billing'], ranges: { auth: [[1, 1]], billing: [[3, 4]] }, detail: [] },
    {
      kind: 'conflict',
      path: 'auth/login.py',
      sessions: ['auth', 'hotfix'],
      ranges: { auth: [[4, 8]], hotfix: [[40, 52]] },
      detail: ['content'],
    },
  ],
};

function session(name: string, path: string, branch: string, extra: Partial<Report['sessions'][number]>): Report['sessions'][number] {
  return {
    name, path, branch, role: 'code', head: 'abc', base: 'def', dirty: false, changed: [], claims: [],
    priority: 0, ahead: 0, behind: 0, missing: false, is_trunk: false, ...extra,
  };
}

describe('collisionsOf', () => {
  it('points at the other session, conflicts first, with the other side file and lines', () => {
    const views = collisionsOf(report, 'auth');
    assert.deepEqual(
      views.map((v) => [v.kind, v.path, v.other, v.otherFile, v.otherRanges, v.ownRanges]),
      [
        ['conflict', 'auth/login.py', 'hotfix', '/r/shop-hotfix/auth/login.py', [[40, 52]], [[4, 8]]],
        ['overlap', 'app/config.py', 'billing', '/r/shop-billing/app/config.py', [[3, 4]], [[1, 1]]],
      ],
    );
    assert.equal(collisionsOf(report, 'hotfix')[0].other, 'auth');
    assert.deepEqual(collisionsOf(report, 'shop'), []);
  });

  it('describes the other side lines and git conflict kinds', () => {
    assert.equal(collisionDescription(collisionsOf(report, 'auth')[0]), 'lines 40–52 there · content');
  });

  it('labels a research write as the fork\'s own finding, not "↔ itself"', () => {
    const fork: Report = {
      ...report,
      overlaps: [{ kind: 'research-write', path: 'notes.py', sessions: ['probe'], ranges: { probe: [[1, 2]] }, detail: [] }],
    };
    const [view] = collisionsOf(fork, 'probe');
    assert.equal(view.alone, true);
    assert.equal(collisionLabel(view), 'research-write: notes.py');
    assert.equal(collisionLabel(collisionsOf(report, 'auth')[0]), 'conflict: auth/login.py ↔ hotfix');
  });
});

describe('plural', () => {
  it('says "1 collision" and "2 collisions"', () => {
    assert.equal(plural(1, 'collision'), '1 collision');
    assert.equal(plural(2, 'collision'), '2 collisions');
    assert.equal(plural(0, 'collision'), '0 collisions');
  });
});

describe('allCollisions', () => {
  it('lists each collision once, from this window when involved', () => {
    const views = allCollisions(report, 'hotfix');
    assert.equal(views.length, 2);
    assert.deepEqual(views.map((v) => v.other).sort(), ['auth', 'billing']);
    const conflict = views.find((v) => v.kind === 'conflict');
    assert.equal(conflict?.other, 'auth', 'hotfix is involved, so the other side is auth');
    assert.equal(allCollisions(report, null).length, 2);
  });
});

describe('formatRanges', () => {
  it('joins ranges, collapsing single lines', () => {
    assert.equal(formatRanges([[40, 52], [60, 60]]), '40–52, 60');
    assert.equal(formatRanges([]), '');
  });
});

describe('statusView', () => {
  const changed: SessionsChanged = {
    self: 'auth',
    sessions: summariesFromReport(report),
    counts: { conflict: 1, overlap: 1 },
    total: 2,
  };

  it('shows this window session and its collision count, warning on conflicts', () => {
    const view = statusView(changed, true);
    assert.match(view.text, /auth · 2 collisions$/);
    assert.equal(view.warning, true);
    assert.match(view.tooltip, /4 sessions; 2 collisions/);
  });

  it('uses the singular and no warning without conflicts', () => {
    const view = statusView({ ...changed, self: 'billing', counts: { overlap: 1 }, total: 1 }, true);
    assert.match(view.text, /billing · 1 collision$/);
    assert.equal(view.warning, false);
  });

  it('warns only about conflicts of this window session, from the report', () => {
    assert.equal(statusView(changed, true, report).warning, true, 'auth has the conflict');
    const billing = statusView({ ...changed, self: 'billing' }, true, report);
    assert.equal(billing.warning, false, 'billing only overlaps, although the repository has a conflict');
    const trunk = statusView({ ...changed, self: 'shop' }, true);
    assert.equal(trunk.warning, false, 'no collisions of its own');
  });

  it('says when the server is not running or has not reported', () => {
    assert.match(statusView(undefined, false).tooltip, /not running/);
    assert.match(statusView(undefined, true).tooltip, /waiting/);
  });
});

describe('summariesFromReport', () => {
  it('counts changed files and collisions per session, marks trunk', () => {
    const byName = Object.fromEntries(summariesFromReport(report).map((s) => [s.name, s]));
    assert.equal(byName.auth.changed, 2);
    assert.equal(byName.auth.collisions, 2);
    assert.equal(byName.billing.collisions, 1);
    assert.equal(byName.shop.role, 'trunk');
    assert.equal(sessionDescription(byName.auth), 'feat/auth · p1 · ↑0 ↓0 · 2 changed');
  });
});

describe('nameProblem', () => {
  it('accepts the server rule and rejects the rest', () => {
    for (const good of ['auth', 'feat-2', 'a.b_c', 'X'.repeat(64)]) {
      assert.equal(nameProblem(good), undefined, good);
    }
    for (const bad of ['', '-x', 'a b', 'a/b', 'a..b', 'X'.repeat(65), 'é']) {
      assert.ok(nameProblem(bad), JSON.stringify(bad));
    }
  });
});

describe('parseGlobs', () => {
  it('splits on commas and spaces, drops empties and duplicates', () => {
    assert.deepEqual(parseGlobs(' auth/**, docs/*.md  auth/** ,,'), ['auth/**', 'docs/*.md']);
    assert.deepEqual(parseGlobs('  '), []);
  });
});

describe('pickOrder', () => {
  it('puts this window first, then priority, then name', () => {
    const order = pickOrder(
      [{ name: 'b', priority: 2 }, { name: 'a', priority: 2 }, { name: 'z', priority: 1 }, { name: 'me', priority: 9 }],
      'me',
    );
    assert.deepEqual(order.map((s) => s.name), ['me', 'z', 'a', 'b']);
  });
});

describe('landMessage', () => {
  it("uses the server's message, else mentions the trunk move", () => {
    const trunk = { old: '1234567890', new: 'abcdef1234' };
    assert.equal(landMessage({ ok: true, session: 'auth', message: 'landed auth; main is now abcdef12', trunk }), 'landed auth; main is now abcdef12');
    assert.equal(landMessage({ ok: true, session: 'auth', trunk }), 'landed auth (trunk 12345678 → abcdef12)');
    assert.equal(landMessage({ ok: false, session: 'auth' }), 'could not land auth');
  });
});

describe('sessionList', () => {
  it('prefers the notification and marks the trunk session from the report', () => {
    const summary: SessionsChanged = {
      self: 'auth',
      sessions: summariesFromReport(report).map((s) => ({ ...s, role: s.role === 'trunk' ? 'code' : s.role })),
      counts: {},
      total: 0,
    };
    const list = sessionList(summary, report);
    assert.equal(list.find((s) => s.name === 'shop')?.role, 'trunk');
    assert.equal(list.find((s) => s.name === 'auth')?.role, 'code');
    assert.deepEqual(sessionList(undefined, undefined), []);
    assert.equal(sessionList(undefined, report).length, 4);
  });
});
