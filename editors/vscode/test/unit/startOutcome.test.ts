import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startOutcome, StopListener } from '../../src/common/startOutcome';

/** A stand-in for the client's state events: `stop()` fires them; counts live subscriptions. */
function stopEvents(): { onStop: StopListener; stop: () => void; live: () => number } {
  const listeners = new Set<() => void>();
  return {
    onStop: (stopped) => {
      listeners.add(stopped);
      return { dispose: () => listeners.delete(stopped) };
    },
    stop: () => [...listeners].forEach((l) => l()),
    live: () => listeners.size,
  };
}

describe('startOutcome', () => {
  it('is "started" when the start resolves, and lets go of the stop event', async () => {
    const events = stopEvents();
    assert.equal(await startOutcome(Promise.resolve(), events.onStop), 'started');
    assert.equal(events.live(), 0);
  });

  it('is "stopped" when the client stops while its start never settles (a server that died at once)', async () => {
    const events = stopEvents();
    const never = new Promise<void>(() => {});
    const outcome = startOutcome(never, events.onStop);
    setTimeout(events.stop, 10);
    assert.equal(await outcome, 'stopped');
    assert.equal(events.live(), 0);
  });

  it("throws the start's error, and a later stop changes nothing", async () => {
    const events = stopEvents();
    await assert.rejects(startOutcome(Promise.reject(new Error('couldn\'t create connection')), events.onStop), /couldn't create connection/);
    assert.equal(events.live(), 0);
    events.stop();
  });

  it('does not leave an unhandled rejection when the start fails after the stop', async () => {
    const events = stopEvents();
    let fail: (err: Error) => void = () => {};
    const late = new Promise<void>((_resolve, reject) => {
      fail = reject;
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const outcome = startOutcome(late, events.onStop);
      events.stop();
      assert.equal(await outcome, 'stopped');
      fail(new Error('Pending response rejected since connection got disposed'));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
