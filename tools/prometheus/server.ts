/**
 * A real Prometheus process (the toolchain's: Debian's 2.42, or PROMETHEUS_PATH) on a config of
 * tools/prometheus/config.ts, and a small client of its HTTP API: instant queries, alerts, targets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusConfig, type LocalPrometheusConfig } from './config';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

export interface PromTarget {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export interface RunningPrometheus {
  url: string;
  dataDir: string;
  /** `/api/v1/query`: the result vector (a scalar comes back as one sample without labels); throws on an error answer. */
  query(expr: string, time?: Date): Promise<PromSample[]>;
  alerts(): Promise<PromAlert[]>;
  targets(): Promise<PromTarget[]>;
  /** Prometheus's own version, from /api/v1/status/buildinfo. */
  version(): Promise<string>;
  /** The process's output so far (for a failure message). */
  output(): string;
  close(): Promise<void>;
}

export interface StartOptions extends LocalPrometheusConfig {
  binary: string;
  port: number;
  /** Where the TSDB and the written config go; default a new temporary folder. */
  dataDir?: string;
  /** The METRICS_TOKEN to scrape with; written to a file (mode 600) beside the config. */
  metricsToken?: string;
  /** Echo Prometheus's own log lines (the npm script); default false. */
  inheritOutput?: boolean;
}

export async function startPrometheus(o: StartOptions): Promise<RunningPrometheus> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'dunning-prometheus-'));
  mkdirSync(dataDir, { recursive: true });
  let tokenFile: string | undefined;
  if (o.metricsToken) {
    tokenFile = join(dataDir, 'metrics-token');
    writeFileSync(tokenFile, o.metricsToken, { mode: 0o600 });
  }
  const configFile = join(dataDir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig({ ...o, tokenFile }));
  const url = `http://127.0.0.1:${o.port}`;
  const child: ChildProcess = spawn(
    o.binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${o.port}`,
      // The Debian package's default points at its web assets in /usr/share, absent from the cache.
      '--web.console.templates=',
      '--web.console.libraries=',
    ],
    { stdio: ['ignore', o.inheritOutput ? 'inherit' : 'pipe', o.inheritOutput ? 'inherit' : 'pipe'] },
  );
  let out = '';
  const keep = (b: Buffer) => void (out = (out + b.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.errorType ?? res.status}: ${body.error ?? ''}`);
    return body.data;
  };
  const running: RunningPrometheus = {
    url,
    dataDir,
    query: async (expr, time) => {
      const at = time ? `&time=${time.getTime() / 1000}` : '';
      const data = await api<{ resultType: string; result: PromSample[] | [number, string] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}${at}`,
      );
      if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
      return data.result as PromSample[];
    },
    alerts: async () => (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts,
    targets: async () => (await api<{ activeTargets: PromTarget[] }>('/api/v1/targets')).activeTargets,
    version: async () => (await api<{ version: string }>('/api/v1/status/buildinfo')).version,
    output: () => out,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  // Ready once its HTTP API answers; a bad config ends the process instead.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Prometheus exited (${child.exitCode}):\n${out.slice(-3000)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return running;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await running.close();
      throw new Error(`Prometheus not ready after 30 s:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
