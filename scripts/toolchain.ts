/**
 * `npm test`'s pretest (and `npm run toolchain`): finds or builds the Temporal CLI, the Java
 * time-skipping test server, stripe-mock, docker-compose, chromium and Prometheus into ~/.cache/dunning-toolchain (or
 * $DUNNING_TOOLCHAIN_CACHE). The first run on a machine takes minutes; later runs only stat files.
 *
 * Never fails the test run: a tool that cannot be had is reported, and the code that needs it falls
 * back (the SDK's own download, or a skipped test).
 */
import { ensureToolchain, manifestPath, nodeRuntimeNotice } from '../tools/toolchain';

async function main(): Promise<void> {
  // First, which Node the tests will run on (the pinned Node 24, or the machine's own).
  const runtime = nodeRuntimeNotice();
  (runtime.warn ? console.warn : console.log)(`[toolchain] ${runtime.warn ? 'warning: ' : ''}${runtime.line}`);
  const started = performance.now();
  const tools = await ensureToolchain();
  const ms = Math.round(performance.now() - started);
  for (const [name, path] of Object.entries(tools)) console.log(`[toolchain] ${name.padEnd(13)} ${path ?? '(not available)'}`);
  console.log(`[toolchain] manifest ${manifestPath()}; resolved in ${ms} ms`);
}

main().catch((err: unknown) => {
  console.error('[toolchain] unexpected failure:', err);
  process.exitCode = 1;
});
