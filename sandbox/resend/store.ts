/**
 * The outbox's messages, kept in memory and, with a data directory, appended to
 * `<dataDir>/outbox.jsonl` (one message a line) so they survive a restart of the dev stack.
 *
 * The idempotency index is rebuilt from the same file: a worker that retries a send after the
 * outbox restarted must still get the original id back, not a second email.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidEmailRequest } from './validate-email';

export interface OutboxMessage extends ValidEmailRequest {
  /** UUID, like Resend's email ids. */
  id: string;
  /** ISO-8601. */
  createdAt: string;
  /** The `Idempotency-Key` it was sent with, and a hash of the request body it guarded. */
  idempotency?: { key: string; bodyHash: string };
}

/** Resend keeps idempotency keys for 24 hours (docs: dashboard/emails/idempotency-keys). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export class OutboxStore {
  private readonly list: OutboxMessage[] = [];
  private readonly byId = new Map<string, OutboxMessage>();
  private readonly byKey = new Map<string, OutboxMessage>();
  private readonly file: string | undefined;

  constructor(
    dataDir: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (dataDir === undefined) return;
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'outbox.jsonl');
    this.load(this.file);
  }

  private load(file: string): void {
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const line of raw.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.index(JSON.parse(line) as OutboxMessage);
      } catch {
        // A line cut short by a crash mid-append: the message was never acknowledged, so drop it.
      }
    }
  }

  private index(m: OutboxMessage): void {
    this.list.push(m);
    this.byId.set(m.id, m);
    if (m.idempotency) this.byKey.set(m.idempotency.key, m);
  }

  /** The message an unexpired idempotency key produced, if any. */
  findByIdempotencyKey(key: string): OutboxMessage | undefined {
    const m = this.byKey.get(key);
    if (!m) return undefined;
    if (this.now() - Date.parse(m.createdAt) > IDEMPOTENCY_WINDOW_MS) {
      this.byKey.delete(key);
      return undefined;
    }
    return m;
  }

  add(req: ValidEmailRequest, idempotency?: { key: string; bodyHash: string }): OutboxMessage {
    const m: OutboxMessage = {
      id: crypto.randomUUID(),
      createdAt: new Date(this.now()).toISOString(),
      ...req,
      ...(idempotency ? { idempotency } : {}),
    };
    // Written before the 200 goes out (synchronously, so no second request can interleave between
    // the idempotency check and this write): an acknowledged send is never lost on restart.
    if (this.file) appendFileSync(this.file, JSON.stringify(m) + '\n');
    this.index(m);
    return m;
  }

  get(id: string): OutboxMessage | undefined {
    return this.byId.get(id);
  }

  /** Oldest first. Copies, so callers cannot edit the store. */
  all(): OutboxMessage[] {
    return this.list.map((m) => structuredClone(m));
  }
}
