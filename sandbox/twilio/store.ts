/**
 * The SMS outbox's messages and opt-outs, kept in memory and, with a data directory, appended to
 * `<dataDir>/sms-outbox.jsonl` (one record a line) so that they survive a restart of the dev stack,
 * as Twilio's message log and its opt-out list do.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SmsMessage {
  /** `SM` and 32 hex digits, like Twilio's. */
  sid: string;
  accountSid: string;
  direction: 'outbound-api' | 'inbound';
  from: string;
  /** Set when sent through a Messaging Service (`MessagingServiceSid`). */
  messagingServiceSid: string | null;
  to: string;
  body: string;
  numSegments: number;
  statusCallback: string | null;
  /** ISO-8601. */
  createdAt: string;
}

type Line = { kind: 'message'; message: SmsMessage } | { kind: 'opt'; sender: string; number: string; out: boolean };

export class SmsStore {
  private readonly list: SmsMessage[] = [];
  private readonly bySid = new Map<string, SmsMessage>();
  /** `<sender> <number>`: the number replied STOP to that sender (a phone number or a Messaging Service). */
  private readonly optedOut = new Set<string>();
  private readonly file: string | undefined;

  constructor(dataDir: string | undefined) {
    if (dataDir === undefined) return;
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'sms-outbox.jsonl');
    let raw = '';
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const line of raw.split('\n')) {
      if (!line.trim()) continue;
      try {
        this.apply(JSON.parse(line) as Line);
      } catch {
        // A line cut short by a crash mid-append: never acknowledged, so dropped.
      }
    }
  }

  private apply(l: Line): void {
    if (l.kind === 'message') {
      this.list.push(l.message);
      this.bySid.set(l.message.sid, l.message);
    } else if (l.out) this.optedOut.add(`${l.sender} ${l.number}`);
    else this.optedOut.delete(`${l.sender} ${l.number}`);
  }

  private write(l: Line): void {
    this.apply(l);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(l)}\n`);
  }

  add(message: SmsMessage): SmsMessage {
    this.write({ kind: 'message', message });
    return message;
  }

  setOptOut(sender: string, number: string, out: boolean): void {
    this.write({ kind: 'opt', sender, number, out });
  }

  isOptedOut(sender: string, number: string): boolean {
    return this.optedOut.has(`${sender} ${number}`);
  }

  get(sid: string): SmsMessage | undefined {
    return this.bySid.get(sid);
  }

  /** Oldest first. */
  all(): SmsMessage[] {
    return [...this.list];
  }
}
