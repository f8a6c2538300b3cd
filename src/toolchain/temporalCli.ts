/**
 * The Temporal CLI, whose `server start-dev` is the embedded dev server for `npm start` and the
 * real server the temporal test project talks to.
 */
import { cacheDir, isUsable, recordTool, type ToolRecord } from './cache';
import { goInstall, goToolPath, type GoTool } from './goInstall';
import { findOnPath, type Log } from './process';

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
export async function ensureTemporalCli(log: Log): Promise<string | undefined> {
  const record = await resolveTemporalCli(log);
  recordTool('temporalCli', record);
  return record?.path;
}

async function resolveTemporalCli(log: Log): Promise<ToolRecord | undefined> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    log(`temporal-cli: using TEMPORAL_CLI_PATH=${fromEnv}`);
    return { path: fromEnv, version: 'unknown', source: 'env' };
  }
  const onPath = findOnPath('temporal');
  if (onPath) {
    log(`temporal-cli: using ${onPath} from PATH`);
    return { path: onPath, version: 'unknown', source: 'path' };
  }
  const cached: ToolRecord = { path: goToolPath(cacheDir(), TEMPORAL_CLI), version: TEMPORAL_CLI.version, source: 'cache' };
  if (isUsable(cached)) {
    log(`temporal-cli: using cached build ${cached.path}`);
    return cached;
  }
  const built = await goInstall(cacheDir(), TEMPORAL_CLI, log);
  if (built) return cached;
  log('temporal-cli: not available; @temporalio/testing will try to download it');
  return undefined;
}
