// How a language client's start ended. vscode-languageclient's `start()` can stay pending
// forever when the server dies at once: vscode-jsonrpc registers the initialize request
// only after writing it, so a connection that closed (and rejected every pending request)
// during that write leaves it unanswered. The client's own move to Stopped ends the wait.

/** A subscription to the client's stop, as `onDidChangeState` gives it. */
export type StopListener = (stopped: () => void) => { dispose(): void };

/** 'started' when START resolves, 'stopped' when the client stops first; START's error is thrown. */
export async function startOutcome(start: Promise<void>, onStop: StopListener): Promise<'started' | 'stopped'> {
  let subscription: { dispose(): void } | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    subscription = onStop(() => resolve('stopped'));
  });
  try {
    return await Promise.race([start.then(() => 'started' as const), stopped]);
  } finally {
    subscription?.dispose();
  }
}
