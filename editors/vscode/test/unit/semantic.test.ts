import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allCollisions, collisionDescription, collisionsOf, collisionTooltip, Report } from '../../src/model';
import { ALLOW_BACKGROUND, SemanticStatus, semanticStatusView, SHOW_CHECKS, testsText, verifyResultText } from '../../src/semantic';

// What `agentls overlaps --json` says for a pair (cart's test breaks on rename's rename)
// and for a session merged with trunk (docs/semantic.md, "Where it shows").
const report: Report = {
  trunk: { branch: 'main', commit: 'c0ffee00' },
  sessions: [
    { name: 'main', path: '/r/main', branch: 'main', role: 'code', head: 'a', base: 'a', dirty: false, changed: [], claims: [], priority: 0, ahead: 0, behind: 0, missing: false, is_trunk: true },
    { name: 'cart', path: '/r/cart', branch: 'cart', role: 'code', head: 'b', base: 'a', dirty: true, changed: ['shop/cart.py', 'tests/test_cart.py'], claims: [], priority: 1, ahead: 0, behind: 0, missing: false, is_trunk: false },
    { name: 'rename', path: '/r/rename', branch: 'rename', role: 'code', head: 'c', base: 'a', dirty: false, changed: ['shop/prices.py'], claims: [], priority: 2, ahead: 1, behind: 0, missing: false, is_trunk: false },
  ],
  overlaps: [
    {
      kind: 'semantic',
      path: 'tests/test_cart.py',
      sessions: ['cart', 'rename'],
      ranges: { cart: [[8, 8]], rename: [] },
      detail: ['test', 'tests.test_cart.CartTest.test_checkout'],
      paths: { rename: 'shop/prices.py' },
      semantic: {
        kind: 'test',
        command: 'pytest -q',
        exitCode: 1,
        tests: ['tests.test_cart.CartTest.test_checkout'],
        tail: ['AttributeError: module has no attribute total', 'FAILED (errors=1)'],
        log: '/r/main/.git/agentls/semantic/logs/x-0-test.log',
        pair: ['cart', 'rename'],
        trunk: null,
        current: true,
      },
    },
    {
      kind: 'semantic',
      path: 'shop/prices.py',
      sessions: ['rename'],
      ranges: { rename: [] },
      detail: ['build'],
      via: 'trunk',
      semantic: { kind: 'build', command: 'make', exitCode: null, tests: [], pair: ['rename', 'main'], trunk: 'main', current: false },
    },
  ],
};

describe('semantic collisions in the Sessions view', () => {
  it('point each session at its own file, name the other side and the failing test', () => {
    const [cart] = collisionsOf(report, 'cart');
    assert.equal(cart.kind, 'semantic');
    assert.equal(cart.path, 'tests/test_cart.py');
    assert.deepEqual(cart.ownRanges, [[8, 8]]);
    assert.equal(cart.otherFile, '/r/rename/shop/prices.py');
    assert.equal(collisionDescription(cart), 'semantic · rename');
    const tooltip = collisionTooltip(cart);
    assert.match(tooltip, /^semantic conflict: cart merged with rename: test `pytest -q` exit 1 \(test_checkout\)/);
    assert.match(tooltip, /Each session passes alone/);
    assert.match(tooltip, /FAILED \(errors=1\)/);

    const fromRename = collisionsOf(report, 'rename');
    const paired = fromRename.find((c) => !c.alone);
    assert.ok(paired);
    assert.equal(paired.path, 'shop/prices.py'); // rename's own first changed file
    assert.equal(paired.otherFile, '/r/cart/tests/test_cart.py');
  });

  it('say when the other side is trunk, a time limit, and a check that is being redone', () => {
    const trunk = collisionsOf(report, 'rename').find((c) => c.alone);
    assert.ok(trunk);
    assert.equal(collisionDescription(trunk), 'semantic · main (trunk) · re-checking');
    const tooltip = collisionTooltip(trunk);
    assert.match(tooltip, /rename merged with main \(already on trunk\): build `make` timed out/);
    assert.match(tooltip, /being checked again/);
    assert.doesNotMatch(tooltip, /research/);
  });

  it('leave a rename conflict listed at both paths seen once by each session, in its own file', () => {
    // s1 renamed a.py to b.py, s2 edited a.py: git's conflict at b.py, and again at a.py.
    const renamed: Report = {
      ...report,
      overlaps: [
        { kind: 'conflict', path: 'b.py', sessions: ['cart', 'rename'], ranges: { cart: [[2, 2]], rename: [[3, 3]] }, detail: ['rename/modify'], paths: { rename: 'a.py' } },
        { kind: 'conflict', path: 'a.py', sessions: ['cart', 'rename'], ranges: { cart: [[2, 2]], rename: [[3, 3]] }, detail: ['rename/modify'], paths: { cart: 'b.py' } },
      ],
    };
    const cart = collisionsOf(renamed, 'cart');
    const rename = collisionsOf(renamed, 'rename');
    assert.deepEqual(cart.map((c) => [c.path, c.otherFile]), [['b.py', '/r/rename/a.py']]);
    assert.deepEqual(rename.map((c) => [c.path, c.otherFile]), [['a.py', '/r/cart/b.py']]);
  });

  it('are listed once each by Show Overlaps, also where a session sees it at another path', () => {
    const all = allCollisions(report, 'rename');
    assert.equal(all.filter((c) => c.kind === 'semantic').length, 2);
  });
});

function status(extra: Partial<SemanticStatus>): SemanticStatus {
  return { enabled: true, background: 'on', paused: null, running: [], queue: 0, pairs: 3, quiet: 30, source: 'pyproject.toml [tool.agentls.verify]', ...extra };
}

describe('the checks status item', () => {
  it('is hidden until trunk enables checks', () => {
    assert.equal(semanticStatusView(undefined).visible, false);
    assert.equal(semanticStatusView(status({ enabled: false, background: 'disabled' })).visible, false);
  });

  it('shows the pair being checked and the queue length', () => {
    const view = semanticStatusView(
      status({ queue: 2, running: [{ pair: ['cart', 'rename'], viaTrunk: false, label: 'cart + rename', explicit: false, started: 0, message: 'test: running `pytest -q`' }] }),
    );
    assert.equal(view.text, '$(beaker~spin) cart + rename · 2 queued');
    assert.match(view.tooltip, /running `pytest -q`/);
    assert.match(view.tooltip, /3 pairs to watch, 2 not checked yet/);
    assert.equal(view.command, SHOW_CHECKS);
    assert.match(semanticStatusView(status({ pairs: 1 })).tooltip, /\n1 pair to watch, 0 not checked yet/);
  });

  it('asks for the opt-in, says untrusted, paused and up to date', () => {
    const optIn = semanticStatusView(status({ background: 'needs-opt-in', queue: 1 }));
    assert.equal(optIn.text, '$(beaker) checks: by hand · 1 queued');
    assert.equal(optIn.command, ALLOW_BACKGROUND);
    assert.match(semanticStatusView(status({ background: 'untrusted' })).text, /checks: off/);
    assert.equal(semanticStatusView(status({ paused: 'land', queue: 4 })).text, '$(debug-pause) checks: paused (land) · 4 queued');
    assert.equal(semanticStatusView(status({})).text, '$(beaker) checks: up to date');
    assert.match(semanticStatusView(status({ error: 'verify.jobs must be a whole number' })).tooltip, /settings on trunk are wrong/);
  });
});

describe('words', () => {
  it('shortens test names and sums up a verify run', () => {
    assert.equal(testsText(['tests/test_a.py::test_one', 'pkg.Mod.test_two', 'TestThree']), 'test_one, test_two and 1 more');
    const pair = { sessions: ['cart', 'rename'], viaTrunk: false, trunk: null, status: 'semantic', reason: '', cached: false };
    const trunk = { sessions: ['cart'], viaTrunk: true, trunk: 'main', status: 'pass', reason: '', cached: true };
    assert.equal(verifyResultText({ found: 1, checked: 2, cancelled: false, pairs: [pair, trunk], message: '' }), 'semantic conflict: cart + rename');
    assert.equal(verifyResultText({ found: 0, checked: 1, cancelled: true, pairs: [trunk], message: '' }), 'no semantic conflict in 1 pair (stopped before the end)');
    assert.equal(verifyResultText({ found: 0, checked: 0, cancelled: false, pairs: [], message: 'nothing to check' }), 'nothing to check');
  });
});
