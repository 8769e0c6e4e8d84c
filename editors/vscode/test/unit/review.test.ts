import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileChange, fileDiffTitle, isReviewTitle, reviewChanges, reviewTitle, sinceReviewChanges, sinceReviewTitle } from '../../src/review/changes';
import {
  collisionCountsText,
  entrySummary,
  landableText,
  needsDecision,
  QueueEntry,
  removalWork,
  reviewChangedEntries,
  reviewSentence,
  reviewStateLabel,
  ReviewItem,
  ReviewStatus,
  sessionReviewWord,
  verdictMessage,
} from '../../src/review/model';
import { itemPlanView, nextOf, startOf, sweepSummary } from '../../src/review/sweep';

const BASE = '1a2b3c4d'.padEnd(40, '0');
const HEAD = 'feedbeef'.padEnd(40, '1');
const REVIEWED = 'c0ffee00'.padEnd(40, '2');

const unreviewed: ReviewStatus = { state: 'unreviewed', approved: false, current: false, changedSinceReview: false };

function entry(session: string, more: Partial<QueueEntry> = {}): QueueEntry {
  return {
    session,
    position: 1,
    branch: `feat/${session}`,
    path: `/r/${session}`,
    priority: 0,
    head: HEAD,
    base: BASE,
    ahead: 1,
    behind: 0,
    dirty: false,
    stat: { files: 2, insertions: 3, deletions: 1 },
    landable: { now: true, blockers: [], warnings: [] },
    collisions: {},
    scope: { claims: [], outside: [] },
    review: unreviewed,
    checks: null,
    notes: {},
    ...more,
  };
}

function item(more: Partial<ReviewItem> = {}): ReviewItem {
  return {
    ...entry('api'),
    trunk: { branch: 'main', commit: BASE },
    requireReview: false,
    commits: [{ id: HEAD, summary: 'api: a handler' }],
    files: [
      { path: 'app/config.py', status: 'M', oldPath: null, insertions: 1, deletions: 1, binary: false, uncommitted: false },
      { path: 'app/api.py', status: 'A', oldPath: null, insertions: 2, deletions: 0, binary: false, uncommitted: false },
      { path: 'docs/guide.md', status: 'R', oldPath: 'docs/old.md', insertions: 1, deletions: 0, binary: false, uncommitted: false },
      { path: 'gone.txt', status: 'D', oldPath: null, insertions: 0, deletions: 3, binary: false, uncommitted: true },
    ],
    collisionList: [],
    sinceReview: null,
    ...more,
  };
}

describe('review: what the diffs compare', () => {
  it('takes each file from the base (a rename from its old path) to the current state; added and deleted files have one side', () => {
    const changes = reviewChanges(item());
    assert.deepEqual(
      changes.map((c) => [c.original, c.modified]),
      [
        [
          { session: 'api', path: 'app/config.py', at: BASE },
          { session: 'api', path: 'app/config.py', at: 'current' },
        ],
        [undefined, { session: 'api', path: 'app/api.py', at: 'current' }],
        [
          { session: 'api', path: 'docs/old.md', at: BASE },
          { session: 'api', path: 'docs/guide.md', at: 'current' },
        ],
        [{ session: 'api', path: 'gone.txt', at: BASE }, undefined],
      ],
    );
    assert.equal(changes[0].worktreeFile, '/r/api/app/config.py', "the file in the session's own worktree");
  });

  it('takes the files changed since the review from the reviewed head, and none when the server could not list them', () => {
    const since = { from: REVIEWED, to: HEAD, available: true, files: [item().files[0]] };
    assert.deepEqual(
      sinceReviewChanges(item({ sinceReview: since })).map((c) => c.original),
      [{ session: 'api', path: 'app/config.py', at: REVIEWED }],
    );
    assert.deepEqual(sinceReviewChanges(item({ sinceReview: { ...since, available: false } })), []);
    assert.deepEqual(sinceReviewChanges(item()), []);
  });

  it('titles the review tabs so they can be found again, and only those', () => {
    const title = reviewTitle(item());
    assert.equal(title, 'Review api: base 1a2b3c4d ↔ current');
    assert.equal(sinceReviewTitle(item({ sinceReview: { from: REVIEWED, to: HEAD, available: true } })), 'Review api: reviewed c0ffee00 ↔ current');
    assert.ok(isReviewTitle(title));
    assert.ok(isReviewTitle(`${title} (4 files)`), 'VS Code adds the file count to the tab');
    assert.ok(isReviewTitle('Review api: reviewed c0ffee00 ↔ current'));
    assert.ok(!isReviewTitle('config.py (api: base ↔ current)'));
    assert.ok(!isReviewTitle('Review notes.md'));
    assert.equal(fileDiffTitle('api', item().files[1]), 'api.py (api: added ↔ current)');
    assert.equal(fileDiffTitle('api', item().files[3]), 'gone.txt (api: base ↔ deleted)');
    assert.equal(fileDiffTitle('api', item().files[0], 'review'), 'config.py (api: reviewed ↔ current)');
    assert.equal(fileChange(item(), item().files[0], REVIEWED).original?.at, REVIEWED);
  });
});

describe('review: the sweep', () => {
  const approved: ReviewStatus = { state: 'approved', approved: true, current: true, changedSinceReview: false };
  const moved: ReviewStatus = { state: 'approved', approved: false, current: false, changedSinceReview: true };

  it('starts at the first session still waiting for a decision, and goes on in queue order past the ones looked at', () => {
    const queue = [entry('a', { review: approved }), entry('b', { review: moved }), entry('c')];
    assert.equal(startOf(queue)?.session, 'b', 'an approval of an older head needs a new decision');
    assert.equal(startOf([entry('a', { review: approved })])?.session, 'a', 'all decided: from the first again');
    assert.equal(startOf([]), undefined);
    assert.equal(nextOf(queue, new Set(['b']))?.session, 'a');
    assert.equal(nextOf(queue, new Set(['a', 'b']))?.session, 'c');
    assert.equal(nextOf(queue, new Set(['a', 'b', 'c'])), undefined);
    assert.ok(!needsDecision(entry('x', { review: { ...approved, state: 'changes-requested' } })));
    assert.ok(needsDecision(entry('x', { review: { ...approved, state: 'skipped' } })), 'a skip is no decision');
  });

  it('says how the sweep went', () => {
    const decisions = new Map([
      ['a', 'changes-requested'],
      ['b', 'landed'],
      ['c', 'approved'],
      ['d', 'skipped'],
      ['e', 'removed'],
      ['f', 'next'],
    ] as const);
    assert.equal(
      sweepSummary(decisions),
      'approved and landed b; approved c; requested changes from a; skipped d; removed e; left f without a verdict.',
    );
    assert.equal(sweepSummary(new Map()), 'no verdicts given.');
  });

  it("asks before Approve & Land with what the item says would land when the land's dry run waits for the approval", () => {
    const view = itemPlanView(item({ behind: 2, landable: { now: true, blockers: [], warnings: [{ code: 'behind', message: 'api is 2 commits behind main.' }] } }));
    assert.equal(view.message, 'Approve api at feedbeef and land it onto main?');
    assert.equal(view.confirm, 'Approve & Land');
    assert.match(view.detail, /^1 commit of feat\/api:\n {3}feedbeef {2}api: a handler\n/);
    assert.match(view.detail, /1\. Rebase them onto main/);
    assert.match(view.detail, /api is 2 commits behind main\./);
    assert.doesNotMatch(view.detail, /`|--/);
  });
});

describe('review: words', () => {
  it('counts collisions by kind, each noun agreeing with its count', () => {
    assert.equal(collisionCountsText({ conflict: 1, overlap: 2 }), '1 conflict, 2 overlaps');
    assert.equal(collisionCountsText({ 'research-write': 2, semantic: 1 }), '2 research writes, 1 semantic conflict');
    assert.equal(collisionCountsText({}), 'no collisions');
  });

  it('names the review state the same way everywhere; a verdict on an older head is "changed since review"', () => {
    assert.equal(reviewStateLabel({ state: 'approved', changedSinceReview: false }), '✓ approved');
    assert.equal(reviewStateLabel({ state: 'changes-requested', changedSinceReview: false }), 'changes requested');
    assert.equal(reviewStateLabel({ state: 'approved', changedSinceReview: true }), 'changed since review');
    assert.equal(reviewStateLabel({ state: 'skipped', changedSinceReview: false }), 'skipped');
    assert.equal(reviewStateLabel(undefined), 'not reviewed');
    assert.equal(sessionReviewWord({ state: 'unreviewed', changedSinceReview: false }), '', 'the Sessions view says nothing before a review');
    assert.equal(
      reviewSentence({ state: 'approved', approved: false, current: false, changedSinceReview: true, reviewer: 'Rita', time: 1000, head: REVIEWED }, 1000 + 300),
      'approved by Rita 5m ago at c0ffee00; changed since review',
    );
  });

  it('sums an entry up in one line', () => {
    const blocked = entry('api', {
      landable: { now: false, blockers: [{ code: 'uncommitted', message: '' }, { code: 'trunk-conflict', message: '' }], warnings: [] },
      collisions: { conflict: 1 },
      scope: { claims: ['app/**'], outside: ['README.md'] },
    });
    assert.equal(landableText(blocked.landable, 'main'), 'blocked: uncommitted work, conflicts with main');
    assert.equal(entrySummary(blocked, 'main'), 'blocked: uncommitted work, conflicts with main · 2 files +3 -1 · 1 conflict · 1 file outside its claims · no checks');
    assert.equal(removalWork({ ahead: 2, dirty: true }, 'main'), '2 commits main lacks and uncommitted work');
    assert.equal(removalWork({ ahead: 0, dirty: false }), '');
  });

  it('says what a verdict recorded', () => {
    assert.equal(verdictMessage({ ok: true, session: 'api', verdict: 'approved', head: HEAD }), 'Approved api at feedbeef.');
    assert.match(verdictMessage({ ok: true, session: 'api', verdict: 'changes-requested', head: HEAD, handoff: '/r/api/HANDOFF.md' }), /HANDOFF\.md with a resume prompt/);
    assert.equal(verdictMessage({ ok: true, session: 'api', verdict: 'skipped', head: HEAD }), 'Skipped api at feedbeef.');
  });

  it('reads agentls/reviewChanged and refuses other shapes', () => {
    assert.deepEqual(reviewChangedEntries({ sessions: [{ session: 'a', state: 'approved', head: HEAD, approved: true, changedSinceReview: false }, { nope: 1 }] })?.map((e) => e.session), ['a']);
    assert.equal(reviewChangedEntries({ sessions: 'x' }), undefined);
    assert.equal(reviewChangedEntries(null), undefined);
  });
});
