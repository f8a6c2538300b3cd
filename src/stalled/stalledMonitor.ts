/**
 * The stalled-case scan, run every `intervalMs` (30 s by default) in the API process and kept:
 * the `dunning_cases_stalled` gauge, the dashboard's line and `GET /api/dunning/stalled` all read
 * the last scan, so that scrapes and page views never load the cluster. One scan at a time; a
 * failed scan (Temporal unreachable) keeps the previous result and is logged.
 */
import type { StalledScan } from './stalledKind';

export interface StalledReader {
  /** The last scan; undefined until the first one ended. */
  latest(): StalledScan | undefined;
}

export class StalledCaseMonitor implements StalledReader {
  private last: StalledScan | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly scan: () => Promise<StalledScan>,
    private readonly opts: { intervalMs?: number; warn?: (msg: string, meta: Record<string, unknown>) => void } = {},
  ) {}

  latest(): StalledScan | undefined {
    return this.last;
  }

  /** Scans now, then every interval. */
  start(): void {
    this.stopped = false;
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** One scan now (also what the timer runs); resolves when it ended. */
  scanNow(): Promise<void> {
    this.running ??= this.scan()
      .then(
        (result) => {
          this.last = result;
        },
        (err: unknown) => this.opts.warn?.('stalled-case scan failed; the last result stays', { error: String(err) }),
      )
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async tick(): Promise<void> {
    await this.scanNow();
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }
}
