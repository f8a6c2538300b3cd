/**
 * The cluster's Go binaries, built with `go install` into the toolchain cache (outside the work
 * tree, so CI pays each build once per machine): the Temporal server and its SQL schema tool at the
 * version docker-compose.yml pins, and the Web UI server.
 */
import { existsSync } from 'node:fs';
import { cacheDir } from '../toolchain/cache';
import { goInstall, goToolPath, type GoTool } from '../toolchain/goInstall';
import type { Log } from '../toolchain/process';

/** Both come from the server module: one folder per version, so a pin bump builds afresh. */
export function temporalServerTools(version: string): { server: GoTool; sql: GoTool } {
  const common = { version: `v${version}`, dirName: `temporal-server-v${version}` };
  return {
    server: { ...common, label: 'temporal-server', pkg: 'go.temporal.io/server/cmd/server', binary: 'server' },
    sql: { ...common, label: 'temporal-sql-tool', pkg: 'go.temporal.io/server/cmd/tools/sql', binary: 'sql' },
  };
}

/**
 * The UI server the Temporal CLI v1.5.1 embeds (the toolchain builds that CLI, so this module and
 * its dependencies are already in Go's module cache and the build takes about a minute). The CLI's
 * own UI only serves its dev server; compose runs the temporalio/ui image instead.
 */
export const TEMPORAL_UI_SERVER: GoTool = {
  label: 'temporal-ui-server',
  pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
  version: 'v2.42.1',
  binary: 'server',
  dirName: 'temporal-ui-server-v2.42.1',
};

/** The cached binary, built first when missing; throws when it cannot be built (the log says why). */
export async function ensureGoBinary(tool: GoTool, log: Log): Promise<string> {
  const path = goToolPath(cacheDir(), tool);
  if (existsSync(path)) return path;
  const built = await goInstall(cacheDir(), tool, log);
  if (!built) throw new Error(`${tool.label}: could not build ${tool.pkg}@${tool.version} (see the log above)`);
  return built;
}

/** Like ensureGoBinary, but undefined instead of an error: for the optional Web UI. */
export async function optionalGoBinary(tool: GoTool, log: Log): Promise<string | undefined> {
  try {
    return await ensureGoBinary(tool, log);
  } catch (err) {
    log(String(err instanceof Error ? err.message : err));
    return undefined;
  }
}
