/**
 * `npm run prometheus`: a real Prometheus (the toolchain's Debian 2.42, fetched on first use)
 * scraping a service on this machine with the repository's alert rules, as compose's does:
 *
 *   npm run prometheus                       # npm start's API on 127.0.0.1:$PORT (default 3000)
 *   npm run prometheus -- --api 127.0.0.1:3415 --worker 127.0.0.1:9415 --port 9515
 *
 * `npm start` serves everything (its metrics, the worker's, the Temporal SDK's) on the API's
 * /metrics; a worker run alone (`npm run start:worker`) serves its own on METRICS_PORT: add it
 * with --worker. METRICS_TOKEN, when set, is sent as the bearer token (production's /metrics
 * needs it). Options: --interval seconds between scrapes and rule evaluations (15), --data-dir
 * (a new temporary folder). Stops on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { ensurePrometheus } from '../toolchain';
import { startPrometheus } from './server';
import type { ScrapeTarget } from './config';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      api: { type: 'string', multiple: true },
      worker: { type: 'string', multiple: true },
      port: { type: 'string', default: '9090' },
      interval: { type: 'string', default: '15' },
      'data-dir': { type: 'string' },
    },
  });
  const { prometheus } = await ensurePrometheus((line) => console.log(`[toolchain] ${line}`));
  if (!prometheus) throw new Error("no Prometheus: set PROMETHEUS_PATH or let the toolchain fetch Debian's package");
  const api = values.api ?? [`127.0.0.1:${process.env.PORT ?? '3000'}`];
  const targets: ScrapeTarget[] = [
    ...api.map((address) => ({ job: 'dunning-api' as const, address })),
    ...(values.worker ?? []).map((address) => ({ job: 'dunning-worker' as const, address })),
  ];
  const running = await startPrometheus({
    binary: prometheus,
    port: Number(values.port),
    intervalSeconds: Number(values.interval),
    targets,
    dataDir: values['data-dir'],
    metricsToken: process.env.METRICS_TOKEN || undefined,
    inheritOutput: true,
  });
  console.log(
    `Prometheus ${await running.version()} on ${running.url} scraping ${targets.map((t) => `${t.job} ${t.address}`).join(', ')}; data in ${running.dataDir}`,
  );
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
