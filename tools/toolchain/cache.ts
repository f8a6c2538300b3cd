/**
 * Where provisioned tools live and the manifest that remembers them.
 *
 * The cache sits outside the work tree (CI clones afresh each run, the machine is kept), so a
 * multi-minute `go install` is paid once per machine, not once per checkout. The manifest lets
 * a later run answer "where is everything?" with a few `stat` calls instead of spawning
 * `go`, `mvn` or `java`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type ToolName = 'temporalCli' | 'testServer' | 'stripeMock' | 'dockerCompose' | 'chromium' | 'prometheus' | 'promtool';

export interface ToolRecord {
  /** Absolute path of the executable (for the test server: the generated wrapper script). */
  path: string;
  version: string;
  /** How it was found: an env override, PATH, or built into the cache. */
  source: 'env' | 'path' | 'cache' | 'apt';
  /** Files that must still exist for the record to be trusted (e.g. the jars a wrapper uses). */
  requires?: string[];
}

export type Manifest = Partial<Record<ToolName, ToolRecord>>;

export function cacheDir(): string {
  return process.env.DUNNING_TOOLCHAIN_CACHE || join(homedir(), '.cache', 'dunning-toolchain');
}

export function manifestPath(): string {
  return join(cacheDir(), 'manifest.json');
}

export function readManifest(): Manifest {
  try {
    return JSON.parse(readFileSync(manifestPath(), 'utf8')) as Manifest;
  } catch {
    return {};
  }
}

/** Merges one record in; written via rename so a concurrent reader never sees half a file. */
export function recordTool(name: ToolName, record: ToolRecord | undefined): void {
  const manifest = readManifest();
  if (record) manifest[name] = record;
  else delete manifest[name];
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = `${manifestPath()}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, manifestPath());
}

/** A manifest record is only as good as the files behind it (a wiped ~/.m2, a deleted build). */
export function isUsable(record: ToolRecord | undefined): record is ToolRecord {
  return !!record && existsSync(record.path) && (record.requires ?? []).every((file) => existsSync(file));
}
