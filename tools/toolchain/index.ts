/**
 * Provisions everything the tests and `npm start` need that npm does not ship: the Temporal CLI
 * (dev server), the Java time-skipping test server, stripe-mock, docker-compose and Chromium (for
 * the browser tests), Prometheus and promtool (the monitoring tests). Each tool is found or built once per machine and remembered in the cache's
 * manifest.
 */
import { isUsable, readManifest, type ToolName } from './cache';
import { ensureChromium } from './chromium';
import { ensureDockerCompose } from './dockerCompose';
import { ensurePrometheus } from './prometheus';
import type { Log } from './process';
import { ensureStripeMock } from './stripeMock';
import { ensureTemporalCli } from './temporalCli';
import { ensureTestServer } from './testServer';

export { cacheDir, manifestPath, readManifest, type Manifest, type ToolRecord } from './cache';
export type { Log } from './process';
export { ensureTemporalCli, TEMPORAL_CLI } from './temporalCli';
export { ensureTestServer } from './testServer';
export { ensureStripeMock, STRIPE_MOCK } from './stripeMock';
export { ensureDockerCompose } from './dockerCompose';
export { ensureChromium } from './chromium';
export { ensurePrometheus } from './prometheus';
export { describeNodeRuntime, nodeRuntimeNotice, pinnedNode, TESTED_NODE_MAJOR } from './nodeRuntime';

export interface Toolchain {
  temporalCli?: string;
  testServer?: string;
  stripeMock?: string;
  dockerCompose?: string;
  chromium?: string;
  prometheus?: string;
  promtool?: string;
}

/**
 * Finds or builds every tool. The two Go builds run one after the other (each already keeps both
 * cores busy); Maven and apt run beside them (the apt installs one after the other: see ./apt).
 */
export async function ensureToolchain(log: Log = (line) => console.log(`[toolchain] ${line}`)): Promise<Toolchain> {
  const goTools = (async () => {
    const temporalCli = await ensureTemporalCli(log);
    const stripeMock = await ensureStripeMock(log);
    return { temporalCli, stripeMock };
  })();
  const [{ temporalCli, stripeMock }, testServer, dockerCompose, chromium, { prometheus, promtool }] = await Promise.all([
    goTools,
    ensureTestServer(log),
    ensureDockerCompose(log),
    ensureChromium(log),
    ensurePrometheus(log),
  ]);
  return { temporalCli, testServer, stripeMock, dockerCompose, chromium, prometheus, promtool };
}

/**
 * What an earlier `ensureToolchain` recorded, checked with stat calls only: for test code that must
 * not build anything (a tool whose files vanished comes back undefined).
 */
export function cachedToolchain(): Toolchain {
  const manifest = readManifest();
  const pick = (name: ToolName) => (isUsable(manifest[name]) ? manifest[name]!.path : undefined);
  return {
    temporalCli: pick('temporalCli'),
    testServer: pick('testServer'),
    stripeMock: pick('stripeMock'),
    dockerCompose: pick('dockerCompose'),
    chromium: pick('chromium'),
    prometheus: pick('prometheus'),
    promtool: pick('promtool'),
  };
}
