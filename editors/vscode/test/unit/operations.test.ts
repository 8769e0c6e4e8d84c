import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOperationStarted, Operations } from '../../src/common/operations';

const end = (operation: string, ok = true) => ({ operation, ok, result: { ok }, error: null });

describe('Operations', () => {
  it('delivers an end to whoever waits for it', async () => {
    const ops = new Operations();
    const waiting = ops.wait('op-1');
    assert.deepEqual(ops.running, ['op-1']);
    assert.equal(ops.finished(end('op-1')), true);
    assert.deepEqual(await waiting, end('op-1'));
    assert.deepEqual(ops.running, []);
  });

  it('keeps an end that arrives before the answer, for the wait that follows', async () => {
    const ops = new Operations();
    assert.equal(ops.finished(end('op-2', false)), false);
    assert.deepEqual(await ops.wait('op-2'), end('op-2', false));
    assert.equal(ops.unclaimed('op-2'), undefined, 'claimed once');
  });

  it('hands over ends nobody claimed', () => {
    const ops = new Operations();
    ops.finished(end('op-3'));
    assert.deepEqual(ops.unclaimed('op-3'), end('op-3'));
    assert.equal(ops.unclaimed('op-3'), undefined);
  });

  it('fails every wait when the server goes away', async () => {
    const ops = new Operations();
    const a = ops.wait('a');
    const b = ops.wait('b');
    ops.failAll(new Error('gone'));
    await assert.rejects(a, /gone/);
    await assert.rejects(b, /gone/);
    assert.deepEqual(ops.running, []);
  });
});

describe('isOperationStarted', () => {
  it('tells an operation id from a result', () => {
    assert.equal(isOperationStarted({ ok: true, operation: 'op-1', command: 'agentls.session.land', title: 'Landing a' }), true);
    assert.equal(isOperationStarted({ ok: true, session: 'a', steps: [] }), false, 'a synchronous land result');
    assert.equal(isOperationStarted({ ok: false, operation: 'op-1' }), false);
    assert.equal(isOperationStarted({ ok: true, results: [], operation: 'x' }), false);
    assert.equal(isOperationStarted(null), false);
  });
});
