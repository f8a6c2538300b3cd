/**
 * The Temporal Runtime of this process (the SDK's native core: its logger and its metrics),
 * installed once: `Runtime.install` throws when a runtime exists, and a worker process, a test
 * file and the test helpers it imports may each ask for one. The first call decides; a later call
 * with other settings keeps them and says so.
 *
 * Logs: the SDK's, the workflows' and the activities' through pino (src/temporal/sdkLogger.ts),
 * the Rust core's forwarded there too instead of printed on their own. Metrics: the SDK's
 * Prometheus endpoint (task slots, schedule-to-start latency, sticky cache, polls, requests) on
 * `metricsAddress`, which the process's own `/metrics` appends (`sdkMetricsText`): one scrape
 * target per process.
 */
import { createServer } from 'node:net';
import { Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../log';
import { PinoSdkLogger } from './sdkLogger';

export interface RuntimeSettings {
  logger: Logger;
  /** `host:port` of the SDK's Prometheus endpoint; undefined: none. */
  metricsAddress?: string;
}

let installed: { settings: { level: string; metricsAddress?: string }; metricsAddress?: string } | undefined;

export function installRuntime(s: RuntimeSettings): void {
  const settings = { level: s.logger.level, metricsAddress: s.metricsAddress };
  if (installed) {
    if (JSON.stringify(installed.settings) !== JSON.stringify(settings)) {
      s.logger.warn(
        { installed: installed.settings, asked: settings },
        'Temporal runtime already installed: keeping its settings',
      );
    }
    return;
  }
  try {
    Runtime.install({
      logger: new PinoSdkLogger(s.logger),
      telemetryOptions: {
        logging: { forward: {}, filter: { core: coreLevel(s.logger.level), other: 'ERROR' } },
        ...(s.metricsAddress ? { metrics: { prometheus: { bindAddress: s.metricsAddress } } } : {}),
      },
    });
    installed = { settings, metricsAddress: s.metricsAddress };
  } catch (err) {
    // Something created the runtime first (Runtime.instance(), e.g. through @temporalio/testing):
    // its defaults stay, and a second install would only fail again.
    installed = { settings: { level: 'default' } };
    s.logger.warn({ err }, 'Temporal runtime created before installRuntime: the SDK logs and metrics keep their defaults');
  }
}

/**
 * The core's own verbosity: WARN (the SDK's default; INFO is mostly its pollers) unless the
 * service is asked for debug or trace lines.
 */
function coreLevel(level: string): LogLevel {
  if (level === 'trace') return 'TRACE';
  if (level === 'debug') return 'DEBUG';
  return 'WARN';
}

/** Where the installed runtime serves its metrics, if it does. */
export function sdkMetricsAddress(): string | undefined {
  return installed?.metricsAddress;
}

/**
 * The SDK's metrics in Prometheus text, for a `/metrics` that serves them with its own; empty
 * when the runtime serves none or does not answer (a scrape of the rest must not fail with it).
 */
export async function sdkMetricsText(timeoutMs = 2000): Promise<string> {
  const address = sdkMetricsAddress();
  if (!address) return '';
  // A wildcard bind is reached on loopback.
  const host = address.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  try {
    const res = await fetch(`http://${host}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
}

/** A free loopback address for the SDK's endpoint when none is configured: only `/metrics` reads it. */
export function loopbackMetricsAddress(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}
