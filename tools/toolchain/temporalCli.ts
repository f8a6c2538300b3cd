/**
 * The Temporal CLI, whose `server start-dev` is the embedded dev server for `npm start` and the
 * real server the temporal test project talks to.
 */
import { resolveGoTool, type GoTool } from './goInstall';
import type { Log } from './process';
import { provision } from './provision';

export const TEMPORAL_CLI: GoTool = {
  label: 'temporal-cli',
  pkg: 'github.com/temporalio/cli/cmd/temporal',
  version: 'v1.5.1',
  binary: 'temporal',
  dirName: 'temporal-cli-v1.5.1',
};

/**
 * `TEMPORAL_CLI_PATH` → `temporal` on PATH → cached build → `go install` into the cache.
 * Undefined means "let @temporalio/testing download it" (only works with internet access).
 */
export function ensureTemporalCli(log: Log): Promise<string | undefined> {
  return provision('temporalCli', () =>
    resolveGoTool(TEMPORAL_CLI, { envVar: 'TEMPORAL_CLI_PATH', whenMissing: '@temporalio/testing will try to download it' }, log),
  );
}
