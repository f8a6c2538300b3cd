/**
 * `npm run bench -- [--ingest N] [--cases N] [--burst N] [--burst-slow N] [--open N] [--cache N]
 * [--concurrency N] [--workers N] [--kill-burst N] [--temporal host:port] [--results file.json]`. The defaults keep the whole run to a few minutes on a
 * shared 2-core machine; the full size is in docs/benchmarks.md.
 */
export interface BenchFlags {
  /** Failure webhooks per side (webhook, raw signalWithStart) at full speed. */
  ingest: number;
  /** Cases (and floor workflows) for failure → first email. */
  cases: number;
  /** Burst drained at 50 emails/s. */
  burst: number;
  /** Burst drained at the default 2 emails/s. */
  burstSlow: number;
  /** Open sleeping cases for the memory figures (topped up to this many). */
  open: number;
  /**
   * The sticky cache the memory figures compare with the service's default (src/worker.ts,
   * DEFAULT_MAX_CACHED_WORKFLOWS); 0: as many as the open cases, every case cached.
   */
  cache: number;
  /** Client concurrency of the ingest and case phases. */
  concurrency: number;
  /** Worker processes on the service's task queue (the scale-out factor compares runs with 1 and 2). */
  workers: number;
  /**
   * With two workers or more: a burst drained at 50/s during which one worker is SIGKILLed after
   * 30 % of the emails; every failure must be acknowledged and every case emailed exactly once.
   */
  killBurst: number;
  /** An existing cluster (e.g. `npm run cluster`'s 127.0.0.1:17233): the stack's worker and API processes point at it. */
  temporal?: string;
  /** File name under bench/results; default latest.json, or cluster-<N>w.json / dev-<N>w.json for a cluster or multi-worker run. */
  results?: string;
}

export const DEFAULT_FLAGS: BenchFlags = {
  ingest: 100,
  cases: 60,
  burst: 100,
  burstSlow: 20,
  open: 400,
  cache: 0,
  concurrency: 16,
  workers: 1,
  killBurst: 100,
};

export function parseFlags(argv: readonly string[]): BenchFlags {
  const flags: BenchFlags = { ...DEFAULT_FLAGS };
  const names: Record<string, keyof BenchFlags> = {
    '--ingest': 'ingest',
    '--cases': 'cases',
    '--burst': 'burst',
    '--burst-slow': 'burstSlow',
    '--open': 'open',
    '--cache': 'cache',
    '--concurrency': 'concurrency',
    '--workers': 'workers',
    '--kill-burst': 'killBurst',
    '--temporal': 'temporal',
    '--results': 'results',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]!];
    const value = argv[i + 1];
    if (!key || value === undefined) throw new Error(`unknown or incomplete flag ${argv[i]}: see bench/flags.ts`);
    i++;
    if (key === 'temporal' || key === 'results') flags[key] = value;
    else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${argv[i - 1]} wants a whole number, not ${value}`);
      flags[key] = n;
    }
  }
  if (flags.workers < 1) throw new Error('--workers wants at least 1');
  return flags;
}
