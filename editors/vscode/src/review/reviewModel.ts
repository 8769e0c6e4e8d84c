// What the window knows about the review sweep: the queue (`agentls.review.queue`),
// each session's review state (`agentls/reviewChanged`, else the queue's), the items
// opened (`agentls.review.item`), and the sweep in progress (which session is being
// reviewed, at which head, who was looked at). The queue is read again when the
// review state changes, when sessions change while the Review view is visible or a
// sweep runs (an agent's new work changes the diffstat and landability), and when
// the view is shown.
import * as vscode from 'vscode';
import * as log from '../common/logging';
import { AgentlsServer, CommandError } from '../common/server';
import { getSettings, SECTION } from '../common/settings';
import { QueueEntry, ReviewChangedEntry, reviewChangedEntries, ReviewItem, ReviewQueue, StateLike } from './model';
import { Decision } from './sweep';

/** A sweep in progress: the session on screen, the head its diff was opened at. */
export interface ActiveReview {
  session: string;
  /** The head the reviewer is looking at: verdicts are given for it (the server refuses a moved one). */
  head: string | null;
  item: ReviewItem;
  /** Sessions looked at in this sweep, and what was decided. */
  decisions: Map<string, Decision>;
}

export class ReviewModel implements vscode.Disposable {
  queue: ReviewQueue | undefined;
  /** The server has no review commands (an older agentls). */
  unsupported = false;
  /** The sweep in progress, if any. */
  active: ActiveReview | undefined;
  /** The Review view is on screen: keep the queue fresh. */
  visible = false;
  private states = new Map<string, ReviewChangedEntry>();
  private items = new Map<string, Promise<ReviewItem>>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private fetching: Promise<void> | undefined;
  private again = false;
  private pending: NodeJS.Timeout | undefined;
  private lastQueue = '';

  /** Fires after the queue, the states or the sweep changed. */
  readonly onDidChange = this.emitter.event;

  constructor(private readonly server: AgentlsServer) {
    this.subscriptions.push(
      server.onReviewChanged((params) => {
        const entries = reviewChangedEntries(params);
        if (!entries) {
          log.warn(`agentls/reviewChanged with an unexpected shape: ${JSON.stringify(params).slice(0, 200)}`);
          return;
        }
        this.states = new Map(entries.map((e) => [e.session, e]));
        // The queue (and each item) says more: read it again; a verdict elsewhere shows here.
        this.items.clear();
        this.lastQueue = '';
        this.emitter.fire();
        this.schedule(0);
      }),
      server.onSessionsChanged(() => {
        if (this.visible || this.active) {
          this.schedule(300);
        }
      }),
      server.onStateChanged((state) => {
        if (state.kind !== 'running') {
          this.queue = undefined;
          this.lastQueue = '';
          this.states.clear();
          this.items.clear();
          this.unsupported = false;
          this.emitter.fire();
        }
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${SECTION}.review.order`)) {
          this.schedule(0);
        }
      }),
    );
  }

  /** `agentls.review.order`: the sweep oldest first (the playbook's), or newest first. */
  get newestFirst(): boolean {
    return getSettings().reviewNewestFirst;
  }

  /** The queue's items (empty before the first fetch). */
  entries(): QueueEntry[] {
    return this.queue?.items ?? [];
  }

  entry(session: string): QueueEntry | undefined {
    return this.entries().find((e) => e.session === session);
  }

  /** SESSION's review state: the latest notification's, else the queue's. */
  stateOf(session: string): StateLike | undefined {
    return this.states.get(session) ?? this.entry(session)?.review;
  }

  /** Fetch the queue again after DELAY ms (bursts of notifications become one request). */
  schedule(delay: number): void {
    if (this.pending) {
      return;
    }
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.fetchQueue();
    }, delay);
  }

  /** Fetch the queue now; coalesces callers into one request at a time. */
  fetchQueue(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return this.fetching;
    }
    this.fetching = (async () => {
      do {
        this.again = false;
        try {
          const queue = await this.server.execute<ReviewQueue>('agentls.review.queue', { newestFirst: this.newestFirst });
          const text = JSON.stringify(queue);
          if (text === this.lastQueue && !this.unsupported) {
            continue; // nothing changed: no redraw (a context menu open in the view stays open)
          }
          this.lastQueue = text;
          this.queue = queue;
          this.unsupported = false;
          // A changed queue may mean changed items: read them again when they are shown.
          this.items.clear();
          for (const e of this.queue.items) {
            const known = this.states.get(e.session);
            if (known && known.head !== e.head) {
              this.states.delete(e.session);
            }
          }
          this.emitter.fire();
        } catch (err) {
          if (isUnknownCommand(err)) {
            this.unsupported = true;
            this.emitter.fire();
          } else {
            log.warn(`agentls.review.queue failed: ${String(err)}`);
          }
        }
      } while (this.again);
    })().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  /** SESSION's full item (cached until the queue changes). */
  item(session: string): Promise<ReviewItem> {
    let found = this.items.get(session);
    if (!found) {
      found = this.server
        .execute<{ ok: boolean; item: ReviewItem }>('agentls.review.item', { session, newestFirst: this.newestFirst })
        .then((answer) => answer.item);
      found.catch(() => this.items.delete(session));
      this.items.set(session, found);
    }
    return found;
  }

  /** Forget SESSION's item (it is read again when next shown). */
  forgetItem(session: string): void {
    this.items.delete(session);
  }

  /** Start looking at ITEM in the sweep (or begin a sweep with it). */
  show(item: ReviewItem): void {
    const decisions = this.active?.decisions ?? new Map();
    this.active = { session: item.session, head: item.head, item, decisions };
    this.emitter.fire();
  }

  /** Record what was decided about SESSION in this sweep. */
  decided(session: string, what: Decision): void {
    this.active?.decisions.set(session, what);
  }

  /** End the sweep. */
  stop(): void {
    this.active = undefined;
    this.emitter.fire();
  }

  /** The view's visibility (the queue is kept fresh only while someone looks). */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      this.schedule(0);
    }
  }

  dispose(): void {
    if (this.pending) {
      clearTimeout(this.pending);
    }
    this.subscriptions.forEach((d) => d.dispose());
    this.emitter.dispose();
  }
}

/** The server does not know the command (an agentls from before the review sweep). */
export function isUnknownCommand(err: unknown): boolean {
  return err instanceof CommandError && (err.code === -32601 || (err.code === -32602 && /is not defined|unknown command/i.test(err.message)));
}
