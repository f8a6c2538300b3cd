/**
 * The steps every tool's provisioning shares: the user's own binary (named in an environment
 * variable, else on PATH) wins over anything built or installed here, and what was found, or that
 * nothing was, goes into the manifest for `cachedToolchain`.
 */
import { recordTool, type ToolName, type ToolRecord } from './cache';
import { findOnPath, type Log } from './process';

/** Finds a tool with `resolve` and records the answer; the path, or undefined when there is none. */
export async function provision(name: ToolName, resolve: () => Promise<ToolRecord | undefined>): Promise<string | undefined> {
  const record = await resolve();
  recordTool(name, record);
  return record?.path;
}

/** The binary the user named in `envVar` (e.g. `TEMPORAL_CLI_PATH`), taken as it is. */
export function fromEnv(label: string, envVar: string, log: Log): ToolRecord | undefined {
  const path = process.env[envVar];
  if (!path) return undefined;
  log(`${label}: using ${envVar}=${path}`);
  return { path, version: 'unknown', source: 'env' };
}

/** `command` as found on PATH. */
export function fromPath(label: string, command: string, log: Log): ToolRecord | undefined {
  const path = findOnPath(command);
  if (!path) return undefined;
  log(`${label}: using ${path} from PATH`);
  return { path, version: 'unknown', source: 'path' };
}
