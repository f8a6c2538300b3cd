/**
 * The worker's own `/metrics` on METRICS_PORT, for a worker that runs without the API
 * (`npm run start:worker`): its business counters (activities/metrics.ts), the process's metrics
 * and whatever `extra` adds (the Temporal SDK's, src/temporal/runtime.ts). In `npm start` the
 * API's `/metrics` serves all of it instead. Plain node:http: one route, no express needed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { workerRegistry } from '../activities/metrics';
import { processRegistry } from './metrics';
import { judgeMetricsRequest, type MetricsAccess } from './metricsAccess';
import type { ReadinessState } from './readiness';

export interface WorkerMetricsServer {
  url: string;
  close(): Promise<void>;
}

/** The worker's metrics in Prometheus text: its registries, then `extra` (empty when it has none). */
export async function renderWorkerMetrics(extra?: () => Promise<string>): Promise<string> {
  const own = await Registry.merge([workerRegistry, processRegistry]).metrics();
  const more = extra ? await extra() : '';
  return more ? `${own.trimEnd()}\n${more}` : own;
}

export function serveWorkerMetrics(
  port: number,
  opts: { host?: string; extra?: () => Promise<string>; access?: MetricsAccess; readiness?: () => ReadinessState } = {},
): Promise<WorkerMetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    // A probe for the orchestrator: alive from the start, ready once Temporal answered and the workers run.
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      const state = path === '/readyz' ? (opts.readiness?.() ?? { ready: true }) : { ready: true };
      res
        .writeHead(state.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(
          JSON.stringify(state.ready ? { ok: true } : { error: { code: 'not_ready', message: `not ready: ${state.reason}` } }),
        );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics, /healthz, /readyz\n');
      return;
    }
    const verdict = judgeMetricsRequest(opts.access ?? { kind: 'open' }, req.headers.authorization);
    if (!verdict.serve) {
      const auth = verdict.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
      res.writeHead(verdict.status, { 'content-type': 'text/plain', ...auth }).end(`${verdict.message}\n`);
      return;
    }
    renderWorkerMetrics(opts.extra).then(
      (text) => res.writeHead(200, { 'content-type': workerRegistry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host ?? '0.0.0.0', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${bound}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
