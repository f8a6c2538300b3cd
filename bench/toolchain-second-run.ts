/**
 * How long the toolchain's second run takes (the one every `npm test` makes once the Temporal CLI,
 * the test server and stripe-mock are cached). Target: well under a second. Prints its figures;
 * it asserts nothing, since this machine's timings are noisy.
 *
 *   npx tsx bench/toolchain-second-run.ts
 */
import { ensureStripeMock, ensureTemporalCli, ensureTestServer, manifestPath } from '../tools/toolchain';
import { existsSync } from 'node:fs';

async function main(): Promise<void> {
  if (!existsSync(manifestPath())) {
    console.log('no toolchain cache yet: run `npm run toolchain` first');
    process.exit(1);
  }
  const quiet = () => undefined;
  const runs: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const t = performance.now();
    await Promise.all([ensureTemporalCli(quiet), ensureTestServer(quiet), ensureStripeMock(quiet)]);
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  const pct = (p: number) => runs[Math.min(runs.length - 1, Math.floor(p * runs.length))]!.toFixed(1);
  console.log(
    `toolchain second run over ${runs.length} runs: median ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${pct(1)} ms (target < 1000 ms)`,
  );
}

void main();
