/**
 * What the local cluster must share with docker-compose.yml, read from it rather than copied: the
 * Temporal server version compose pins (so `npm run cluster` runs what production-like deployments
 * run) and the dynamic config folder compose mounts (deploy/temporal).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const REPO_ROOT = join(__dirname, '..', '..');

const versionSchema = z.string().regex(/^\d+\.\d+\.\d+$/, 'a release version such as 1.31.0');

export interface ComposePins {
  /** Temporal server version without the `v`, e.g. `1.31.0`. */
  temporalVersion: string;
  /** The dynamic config file the compose server reads, absolute. */
  dynamicConfigFile: string;
}

/** Reads the pins from compose's text; throws naming what it could not find. */
export function composePins(composeFile = join(REPO_ROOT, 'docker-compose.yml')): ComposePins {
  const text = readFileSync(composeFile, 'utf8');
  const server = /image:\s*temporalio\/server:(\S+)/.exec(text)?.[1];
  if (!server) throw new Error(`${composeFile}: no temporalio/server image to take the Temporal version from`);
  const mount = /-\s*\.\/(\S+):\/etc\/temporal\/config\/dynamicconfig/.exec(text)?.[1];
  const file = /DYNAMIC_CONFIG_FILE_PATH:\s*config\/dynamicconfig\/(\S+)/.exec(text)?.[1];
  if (!mount || !file) throw new Error(`${composeFile}: no dynamic config mount (./deploy/temporal) for the Temporal server`);
  return {
    temporalVersion: versionSchema.parse(server.replace(/^v/, '')),
    dynamicConfigFile: join(REPO_ROOT, mount, file),
  };
}
