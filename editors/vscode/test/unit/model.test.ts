import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  allCollisions,
  collisionDescription,
  collisionsOf,
  collisionKey,
  collisionLabel,
  collisionTooltip,
  formatRanges,
  kindText,
  nameProblem,
  ownWorkCollides,
  parsePriority,
  relatedLabel,
  sessionContext,
  sessionIcon,
  sessionTooltip,
  parseGlobs,
  pickOrder,
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

});

describe('ownWorkCollides', () => {
  it('unfolds a session only for collisions of its own work, not those already on trunk', () => {
    const landed: Report = {
      ...report,
      sessions: [...report.sessions, session('kept', '/r/shop-kept', 'feat/kept', { priority: 4 })],
      overlaps: [
        ...report.overlaps,
        // kept landed and stayed open at trunk's tip: trunk's conflict with hotfix, again
        {
          kind: 'conflict', path: 'auth/login.py', sessions: ['hotfix', 'kept'],
          ranges: { hotfix: [[40, 52]], kept: [[40, 50]] }, detail: ['content'], via: 'trunk',
        },
      ],
    };
    assert.equal(ownWorkCollides(landed, 'kept'), false);
    assert.equal(ownWorkCollides(landed, 'hotfix'), true, 'hotfix has a conflict of its own with auth');
    assert.equal(ownWorkCollides(landed, 'billing'), true);
    assert.equal(ownWorkCollides(landed, 'shop'), false);
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
  it('names six ranges and how many more', () => {
    const many: [number, number][] = Array.from({ length: 40 }, (_, i) => [i * 10 + 10, i * 10 + 11]);
    assert.equal(formatRanges(many), '10–11, 20–21, 30–31, 40–41, 50–51, 60–61 and 34 more');
    assert.equal(formatRanges(many.slice(0, 6)), '10–11, 20–21, 30–31, 40–41, 50–51, 60–61');
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
    const view = statusView(changed);
    assert.match(view.text, /auth · 2 collisions$/);
    assert.equal(view.warning, true);
    assert.match(view.tooltip, /4 sessions; 2 collisions/);
  });

  it('uses the singular and no warning without conflicts', () => {
    const view = statusView({ ...changed, self: 'billing', sessions: changed.sessions.map((x) => ({ ...x, counts: undefined })), counts: { overlap: 1 }, total: 1 });
    assert.match(view.text, /billing · 1 collision$/);
    assert.equal(view.warning, false);
  });

  it('warns only about conflicts of this window session, from the report', () => {
    assert.equal(statusView(changed, report).warning, true, 'auth has the conflict');
    const billing = statusView({ ...changed, self: 'billing' }, report);
    assert.equal(billing.warning, false, 'billing only overlaps, although the repository has a conflict');
    const trunk = statusView({ ...changed, self: 'shop' });
    assert.equal(trunk.warning, false, 'no collisions of its own');
    const older = { ...changed, sessions: changed.sessions.map((x) => ({ ...x, counts: undefined })) };
    assert.equal(statusView({ ...older, self: 'billing' }, report).warning, false, 'counted from the report without per-session counts');
  });

  it('says when the server has not reported yet', () => {
    assert.match(statusView(undefined).tooltip, /waiting/);
  });
});

describe('summariesFromReport', () => {
  it('counts changed files and collisions per session, marks trunk', () => {
    const byName = Object.fromEntries(summariesFromReport(report).map((s) => [s.name, s]));
    assert.equal(byName.auth.changed, 2);
    assert.equal(byName.auth.collisions, 2);
    assert.equal(byName.billing.collisions, 1);
    assert.equal(byName.shop.role, 'trunk');
    assert.deepEqual(byName.auth.counts, { conflict: 1, overlap: 1 });
  });
});

describe('session labels', () => {
  const auth = { ...summariesFromReport(report)[1], ahead: 2, behind: 1, dirty: true, claims: ['auth/**'] };

  it('keep the description short for the default sidebar width; the tooltip has every fact', () => {
    assert.equal(sessionDescription(auth), '↑2 ↓1 · 2 changed · dirty');
    assert.equal(sessionDescription({ ...auth, behind: 0, dirty: false }), '↑2 · 2 changed');
    assert.equal(sessionDescription({ ...auth, ahead: 0, behind: 0, dirty: false, changed: 0 }), '');
    assert.equal(sessionDescription({ ...auth, landed: true }), 'landed · 2 changed · dirty');
    assert.equal(sessionDescription({ ...auth, missing: true }), 'folder gone · 2 changed · dirty');
    const longest = sessionDescription({ ...auth, ahead: 123, behind: 45, changed: 678 });
    assert.ok(longest.length <= 30, longest);
    const tip = sessionTooltip(auth, true, 'main');
    for (const fact of ['**auth** — this window', 'branch feat/auth', 'priority 1', '/r/shop-auth', '2 ahead, 1 behind', 'Claims: auth/**', '2 collisions (1 conflict, 1 overlap)']) {
      assert.ok(tip.includes(fact), `${fact} in ${tip}`);
    }
    assert.match(sessionTooltip({ ...auth, claims: [] }, false), /Claims: none/);
    const kinds = { ...auth, collisions: 5, counts: { conflict: 2, ownership: 1, 'research-write': 1, semantic: 1 } };
    assert.ok(sessionTooltip(kinds, false).includes('5 collisions (2 conflicts, 1 ownership collision, 1 research write, 1 semantic conflict)'), sessionTooltip(kinds, false));
  });

  it('give the menus words to match', () => {
    assert.equal(sessionContext(auth, true, true), 'agentls-session role-code self present claims landable removable restorable');
    const trunk = summariesFromReport(report)[0];
    assert.equal(sessionContext(trunk, false, false), 'agentls-session role-trunk other present');
    assert.match(sessionContext({ ...auth, landed: true, missing: true }, false, false), /\bother missing\b.*\blanded\b/);
    assert.doesNotMatch(sessionContext({ ...auth, landed: true }, false, false), /landable/);
  });

  it('mark a remote session and offer it no verb (it lives on another machine)', () => {
    const remote = {
      ...auth,
      name: 'origin:codex/fix',
      role: 'remote',
      branch: 'codex/fix',
      path: '',
      claims: [],
      remote: { remote: 'origin', branch: 'codex/fix', author: 'Codex', wip: false },
    };
    assert.equal(sessionContext(remote, false, true), 'agentls-session role-remote other remote');
    assert.equal(sessionIcon(remote, false), 'cloud');
    assert.equal(sessionDescription(remote), 'on origin · ↑2 ↓1 · 2 changed · dirty');
    const tip = sessionTooltip(remote, false);
    assert.match(tip, /remote session \(another machine\)/);
    assert.match(tip, /Remote: codex\/fix, committed by Codex on origin/);
    assert.doesNotMatch(tip, /Folder:/);
    const wip = { ...remote, remote: { remote: 'origin', branch: 'agentls/wip/bob/billing', wip: true, user: 'bob', session: 'billing' } };
    assert.match(sessionDescription(wip), /^uncommitted · origin/);
    assert.match(sessionTooltip(wip, false), /uncommitted work of bob \(billing\) on origin/);
  });
});

describe('collision labels', () => {
  it('put the file name first and the rest in the description and tooltip', () => {
    const [conflict] = collisionsOf(report, 'auth');
    assert.equal(collisionLabel(conflict), 'login.py');
    assert.equal(collisionDescription(conflict), 'conflict · hotfix');
    const tip = collisionTooltip(conflict);
    assert.match(tip, /conflict with hotfix in auth\/login.py/);
    assert.match(tip, /auth: lines 4–8/);
    assert.match(tip, /hotfix: lines 40–52/);
    assert.match(tip, /git: content/);
  });

  it('say which way an ownership finding goes, and keep one key per finding', () => {
    const owned: Report = {
      ...report,
      overlaps: [
        { kind: 'ownership', path: 'app/config.py', sessions: ['auth', 'billing'], ranges: {}, detail: ['app/**'] },
        { kind: 'ownership', path: 'app/config.py', sessions: ['billing', 'auth'], ranges: {}, detail: ['app/config.py'] },
      ],
    };
    const views = collisionsOf(owned, 'auth');
    assert.deepEqual(views.map(collisionDescription).sort(), ['changed by billing', 'claimed by billing']);
    assert.equal(new Set(views.map(collisionKey)).size, 2, 'two findings, two tree ids');
    assert.match(collisionTooltip(views.find((v) => v.side === 'writer')!), /^ownership: auth changed app\/config.py, which billing claims \(app\/\*\*\)/);
  });

  it('label a research write without an other side', () => {
    const research: Report = {
      ...report,
      overlaps: [{ kind: 'research-write', path: 'src/x.py', sessions: ['hotfix'], ranges: { hotfix: [[2, 3]] }, detail: [] }],
    };
    const [write] = collisionsOf(research, 'hotfix');
    assert.equal(write.alone, true);
    assert.equal(collisionDescription(write), 'research-write');
    assert.match(collisionTooltip(write), /read-only research fork/);
    assert.equal(collisionsOf(report, 'auth')[0].alone, false);
  });

  it('say when a conflict is already on trunk', () => {
    assert.equal(kindText({ kind: 'conflict', via: 'trunk' }), 'conflict (already on trunk)');
    const withTrunk: Report = {
      ...report,
      overlaps: [{ kind: 'conflict', path: 'x.py', sessions: ['auth', 'shop'], ranges: {}, detail: [] }],
    };
    assert.equal(collisionsOf(withTrunk, 'auth')[0].via, 'trunk', 'the other side is the trunk session');
    assert.equal(collisionDescription(collisionsOf(withTrunk, 'auth')[0]), 'conflict (already on trunk) · shop');
  });
});

describe('relatedLabel', () => {
  it("names the other worktree when the server's label does not", () => {
    assert.equal(relatedLabel("billing's version", '/r/shop-billing/app/config.py', 'app/config.py', '/r/shop-auth'), "billing's version (../shop-billing)");
    assert.equal(
      relatedLabel('billing (../shop-billing) lines 40–52', '/r/shop-billing/app/config.py', 'app/config.py', '/r/shop-auth'),
      'billing (../shop-billing) lines 40–52',
    );
    assert.equal(relatedLabel('x', '/elsewhere/file.py', 'app/config.py', '/r/shop-auth'), 'x', 'not the same file: left alone');
    assert.equal(relatedLabel('x', '/r/b/app/config.py', 'app/config.py', undefined), 'x');
  });
});

describe('parsePriority', () => {
  it('takes whole numbers in range', () => {
    assert.deepEqual(parsePriority(' 3 '), { ok: true, value: 3 });
    assert.deepEqual(parsePriority('-2'), { ok: true, value: -2 });
    for (const bad of ['', '1.5', 'x', '2000000']) {
      assert.equal(parsePriority(bad).ok, false, bad);
    }
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

  it('takes claims and trunk from the report when an older notification lacks them', () => {
    const withClaims: Report = { ...report, sessions: report.sessions.map((x) => (x.name === 'auth' ? { ...x, claims: ['auth/**'] } : x)) };
    const older: SessionsChanged = {
      self: 'auth',
      sessions: summariesFromReport(withClaims).map(({ claims: _c, is_trunk: _t, counts: _n, ...rest }) => ({ ...rest, role: 'code' })),
      counts: {},
      total: 0,
    };
    const list = sessionList(older, withClaims);
    assert.deepEqual(list.find((x) => x.name === 'auth')?.claims, ['auth/**']);
    assert.equal(list.find((x) => x.name === 'shop')?.is_trunk, true);
    const newer = { ...older, sessions: older.sessions.map((x) => ({ ...x, claims: x.name === 'auth' ? ['new/**'] : [] })) };
    assert.deepEqual(sessionList(newer, withClaims).find((x) => x.name === 'auth')?.claims, ['new/**'], 'the notification is fresher');
  });
});
