/**
 * `npm run build`: the production build the image runs (`node dist/src/main.js`).
 *
 * 1. `tsc -p tsconfig.build.json`: domain/, workflows/, activities/ and src/ to CommonJS in dist/.
 * 2. Dev-only code is removed from dist/: sandbox/ (the Stripe and Resend sandboxes) and tools/
 *    (toolchain, embedded dev server, demo), which tsc emits because src/main.ts names them in
 *    `await import()`; in production they are never loaded (real Stripe, Resend and a Temporal
 *    cluster are required there).
 * 3. The workflow bundle, built once (dist/workflow-bundle.js): workers load it
 *    (WORKFLOW_BUNDLE_PATH) instead of bundling at every start.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflows } from '../src/worker';

export const DIST = resolve(__dirname, '..', 'dist');
/** What the production build must not contain (relative to dist/). */
export const DEV_ONLY_IN_DIST = ['sandbox', 'tools'];

async function main(): Promise<void> {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: resolve(__dirname, '..'),
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc failed (exit ${tsc.status})`);
  for (const dir of DEV_ONLY_IN_DIST) rmSync(join(DIST, dir), { recursive: true, force: true });
  const { code } = await bundleWorkflows();
  writeFileSync(join(DIST, 'workflow-bundle.js'), code);
  console.log(`build: dist/ in ${Date.now() - started} ms (workflow bundle ${Math.round(code.length / 1024)} KiB)`);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
