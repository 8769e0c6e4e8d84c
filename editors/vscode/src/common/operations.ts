// Long operations (land, land all, new, fork). A server that runs them in the
// background answers `{"ok": true, "operation": id, "title"}` at once and later sends
// `agentls/operationFinished {operation, ok, result, error}`; an older server answers
// with the result itself. The end may arrive before the answer (both race on the
// wire), so ends nobody waits for yet are kept briefly. No `vscode` import.

export const OPERATION_FINISHED = 'agentls/operationFinished';

export interface OperationStarted {
  ok: true;
  operation: string;
  command?: string;
  title?: string;
}

export interface OperationFinished {
  operation: string;
  command?: string;
  title?: string;
  ok: boolean;
  /** Exactly what the command returned when it ran synchronously; null when refused. */
  result: unknown;
  /** The error object {code, message, data} when refused or failed; null otherwise. */
  error: unknown;
}

/** True when a command's answer only announces a background operation. */
export function isOperationStarted(answer: unknown): answer is OperationStarted {
  if (typeof answer !== 'object' || answer === null) {
    return false;
  }
  const a = answer as Record<string, unknown>;
  return typeof a.operation === 'string' && a.ok !== false && a.result === undefined && a.results === undefined;
}

export function isOperationFinished(params: unknown): params is OperationFinished {
  return typeof params === 'object' && params !== null && typeof (params as Record<string, unknown>).operation === 'string';
}

interface Waiter {
  resolve(end: OperationFinished): void;
  reject(error: Error): void;
}

/** Who waits for which operation, and the ends that arrived before anyone waited. */
export class Operations {
  private readonly waiting = new Map<string, Waiter>();
  private readonly early = new Map<string, OperationFinished>();

  /** The end of OPERATION (at once when it already arrived). */
  wait(operation: string): Promise<OperationFinished> {
    const done = this.early.get(operation);
    if (done) {
      this.early.delete(operation);
      return Promise.resolve(done);
    }
    return new Promise((resolve, reject) => this.waiting.set(operation, { resolve, reject }));
  }

  /**
   * An `agentls/operationFinished` arrived: true when someone was waiting for it;
   * false when it is kept for a wait that may still come (see `unclaimed`).
   */
  finished(end: OperationFinished): boolean {
    const waiter = this.waiting.get(end.operation);
    if (waiter) {
      this.waiting.delete(end.operation);
      waiter.resolve(end);
      return true;
    }
    this.early.set(end.operation, end);
    return false;
  }

  /** An end kept by `finished` that nobody claimed since (then it is forgotten here). */
  unclaimed(operation: string): OperationFinished | undefined {
    const end = this.early.get(operation);
    this.early.delete(operation);
    return end;
  }

  /** Operations waited for now. */
  get running(): string[] {
    return [...this.waiting.keys()];
  }

  /** The server went away: nothing waited for will end. */
  failAll(error: Error): void {
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    this.early.clear();
    waiters.forEach((w) => w.reject(error));
  }
}
