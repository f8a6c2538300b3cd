/**
 * vitest globalSetup of the `temporal` project: one real Temporal dev server (in-memory, free port,
 * no UI) for all its test files, which reach it through inject('temporalAddress').
 *
 * Set TEMPORAL_TEST_ADDRESS to run the project against a server you already have instead.
 */
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../../tools/temporal/devServer';
import { ensureStripeMock, ensureTemporalCli, ensureTestServer } from '../../tools/toolchain';

const log = (line: string) => console.log(`[temporal-setup] ${line}`);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // `npm test` provisions in its pretest, so these only stat cached files; under a bare
  // `npx vitest` on a fresh machine they build what is missing.
  const quiet = () => {};
  const [cliPath, testServerPath, stripeMockPath] = await Promise.all([
    ensureTemporalCli(log),
    ensureTestServer(quiet),
    ensureStripeMock(quiet),
  ]);

  let server: DevServer | undefined;
  const external = process.env.TEMPORAL_TEST_ADDRESS;
  if (external) log(`using the server at TEMPORAL_TEST_ADDRESS=${external}`);
  else server = await startDevServer({ cliPath, log });

  project.provide('temporalAddress', external ?? server!.address);
  project.provide('temporalNamespace', server?.namespace ?? process.env.TEMPORAL_NAMESPACE ?? 'default');
  project.provide('testServerPath', testServerPath);
  project.provide('stripeMockPath', stripeMockPath);

  return async () => {
    await server?.stop();
  };
}
