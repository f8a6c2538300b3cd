/**
 * `npm run build:workflows [-- OUT]`: bundles the workflow code once (bundleWorkflowCode, the same
 * call a worker makes at start) and writes it to OUT (default dist/workflow-bundle.js). A worker
 * started with WORKFLOW_BUNDLE_PATH=OUT loads the file instead of bundling: ready in about a second
 * instead of many, which is what a restarted or scaled-out worker wants. Rebuild after changing
 * anything under workflows/ (the worker warns when the bundle is older than the sources).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { bundleWorkflows, DEFAULT_WORKFLOW_BUNDLE_PATH } from '../src/worker';

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? DEFAULT_WORKFLOW_BUNDLE_PATH);
  const started = Date.now();
  const { code } = await bundleWorkflows();
  mkdirSync(dirname(out), { recursive: true });
  // Write-then-rename: a worker starting meanwhile never loads half a bundle.
  writeFileSync(`${out}.tmp`, code);
  renameSync(`${out}.tmp`, out);
  console.log(
    `workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms); use WORKFLOW_BUNDLE_PATH=${out}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
