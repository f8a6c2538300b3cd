/**
 * Prometheus and promtool for the monitoring tests (test/temporal/prometheus.test.ts) and
 * `npm run prometheus`: Debian's `prometheus` package (2.42 on bookworm), fetched with
 * `apt-get download` and unpacked with `dpkg -x` into the cache. No root and no install: the
 * package's two binaries are static Go programs and need none of its dependencies (the web UI's
 * JavaScript, which the HTTP API does not use).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, isUsable, type ToolRecord } from './cache';
import { findOnPath, runWithHeartbeat, type Log } from './process';
import { fromEnv, fromPath, provision } from './provision';

/** The cache folder: one per Debian release line, so bookworm's 2.42 stays until this changes. */
export const PROMETHEUS_DIR = 'prometheus-debian-bookworm';

export interface PrometheusTools {
  prometheus?: string;
  promtool?: string;
}

/** `PROMETHEUS_PATH`/`PROMTOOL_PATH` → PATH → the cached package → `apt-get download` → undefined. */
export async function ensurePrometheus(log: Log): Promise<PrometheusTools> {
  let unpacked: Promise<string | undefined> | undefined;
  const fromPackage = (binary: string) => async (): Promise<ToolRecord | undefined> => {
    const cached: ToolRecord = { path: join(cacheDir(), PROMETHEUS_DIR, 'usr/bin', binary), version: 'debian', source: 'cache' };
    if (isUsable(cached)) return cached;
    unpacked ??= downloadPackage(log);
    return (await unpacked) && isUsable(cached) ? cached : undefined;
  };
  const whenMissing = 'the Prometheus tests will skip';
  const prometheus = await provision('prometheus', async () => {
    const found = fromEnv('prometheus', 'PROMETHEUS_PATH', log) ?? fromPath('prometheus', 'prometheus', log);
    return found ?? (await fromPackage('prometheus')()) ?? missing('prometheus', whenMissing, log);
  });
  const promtool = await provision('promtool', async () => {
    const found = fromEnv('promtool', 'PROMTOOL_PATH', log) ?? fromPath('promtool', 'promtool', log);
    return found ?? (await fromPackage('promtool')()) ?? missing('promtool', whenMissing, log);
  });
  return { prometheus, promtool };
}

function missing(label: string, whenMissing: string, log: Log): undefined {
  log(`${label}: not available; ${whenMissing}`);
  return undefined;
}

/** `apt-get download prometheus` into a temporary folder, `dpkg -x` beside the cache folder, then one rename. */
async function downloadPackage(log: Log): Promise<string | undefined> {
  const aptGet = findOnPath('apt-get');
  const dpkgDeb = findOnPath('dpkg-deb');
  if (!aptGet || !dpkgDeb) {
    log(`prometheus: no ${aptGet ? 'dpkg-deb' : 'apt-get'} to fetch Debian's package with`);
    return undefined;
  }
  mkdirSync(cacheDir(), { recursive: true });
  const work = mkdtempSync(join(cacheDir(), `${PROMETHEUS_DIR}.tmp-`));
  try {
    log("prometheus: fetching Debian's prometheus package (apt-get download, dpkg -x; once per machine)");
    const download = await runWithHeartbeat(aptGet, ['download', '-q', 'prometheus'], { label: 'prometheus', log, cwd: work });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (download.code !== 0 || !deb) {
      log(`prometheus: apt-get download failed:\n${download.tail.slice(-1000)}`);
      return undefined;
    }
    const unpack = await runWithHeartbeat(dpkgDeb, ['-x', join(work, deb), join(work, 'root')], { label: 'prometheus', log });
    if (unpack.code !== 0) return undefined;
    const target = join(cacheDir(), PROMETHEUS_DIR);
    rmSync(target, { recursive: true, force: true });
    renameSync(join(work, 'root'), target);
    log(`prometheus: unpacked ${deb} into ${target}`);
    return existsSync(join(target, 'usr/bin/prometheus')) ? target : undefined;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
