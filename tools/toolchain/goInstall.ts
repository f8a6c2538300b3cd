/**
 * Builds a pinned Go command into its own cache folder with `go install`. Go tools come from the
 * Go module proxy, which this project's machines (and CI) can reach even where GitHub release
 * downloads are blocked.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, isUsable, type ToolRecord } from './cache';
import { findOnPath, runWithHeartbeat, type Log } from './process';
import { fromEnv, fromPath } from './provision';

export interface GoTool {
  label: string;
  /** Module path of the main package, without version. */
  pkg: string;
  version: string;
  /** Name of the binary `go install` produces. */
  binary: string;
  /** Folder under the cache, named with the version so a pin bump builds afresh. */
  dirName: string;
}

export function goToolDir(cache: string, tool: GoTool): string {
  return join(cache, tool.dirName);
}

export function goToolPath(cache: string, tool: GoTool): string {
  return join(goToolDir(cache, tool), tool.binary);
}

/** Path of the built binary, or undefined when Go is missing or the build failed. */
export async function goInstall(cache: string, tool: GoTool, log: Log): Promise<string | undefined> {
  const go = findOnPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    log(`${tool.label}: Go not found, cannot build ${tool.pkg}@${tool.version}`);
    return undefined;
  }
  const dir = goToolDir(cache, tool);
  mkdirSync(dir, { recursive: true });
  log(`${tool.label}: building ${tool.pkg}@${tool.version} with go install (takes minutes on 2 cores, once per machine)`);
  // -v names each package as it compiles: the heartbeat shows how far the build has got.
  const { code, tail } = await runWithHeartbeat(go, ['install', '-v', `${tool.pkg}@${tool.version}`], {
    label: tool.label,
    log,
    env: { ...process.env, GOBIN: dir },
    logFile: join(dir, 'build.log'),
  });
  const binary = goToolPath(cache, tool);
  if (code !== 0 || !existsSync(binary)) {
    log(`${tool.label}: build failed:\n${tail.split('\n').slice(-15).join('\n')}`);
    return undefined;
  }
  return binary;
}

/**
 * A pinned Go tool: the binary named in `envVar` → `tool.binary` on PATH → the cached build →
 * `go install` into the cache → undefined, saying what happens without it (`whenMissing`).
 */
export async function resolveGoTool(
  tool: GoTool,
  o: { envVar: string; whenMissing: string },
  log: Log,
): Promise<ToolRecord | undefined> {
  const own = fromEnv(tool.label, o.envVar, log) ?? fromPath(tool.label, tool.binary, log);
  if (own) return own;
  const cached: ToolRecord = { path: goToolPath(cacheDir(), tool), version: tool.version, source: 'cache' };
  if (isUsable(cached)) {
    log(`${tool.label}: using cached build ${cached.path}`);
    return cached;
  }
  if (await goInstall(cacheDir(), tool, log)) return cached;
  log(`${tool.label}: not available; ${o.whenMissing}`);
  return undefined;
}
