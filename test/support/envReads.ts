/**
 * The environment variables production code reads, found in the code: src/config.ts's envSchema
 * and any `process.env.X`, `env.X`, `env?.X` or `env['X']` in the production layers (src/,
 * activities/, workflows/, domain/; the dev rooms sandbox/ and tools/ are outside them). The tests that hold .env.example and the docs to
 * the code share this one scanner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envSchema } from '../../src/config';

const root = resolve(__dirname, '../..');

/** Set by the operating system or a CI runner, not by an operator: not settings to document. */
export const NOT_SETTINGS = new Set(['USER', 'HOME', 'PATH', 'CI']);

/** Variables read as `process.env.X`, `env.X`, `env?.X` or `env['X']` in a source text. */
export function envReadsIn(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv(?:\?\.|\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  return [...names];
}

/** The .ts files of one production directory (`src`, `activities`, …). */
export function productionSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

export const PRODUCTION_DIRS = ['src', 'activities', 'workflows', 'domain'].map((d) => join(root, d));

/** Every variable production code reads, the operating system's own left out. */
export function productionEnvKeys(): string[] {
  const keys = new Set(Object.keys(envSchema.shape));
  for (const dir of PRODUCTION_DIRS)
    for (const file of productionSources(dir)) for (const k of envReadsIn(readFileSync(file, 'utf8'))) keys.add(k);
  return [...keys].filter((k) => !NOT_SETTINGS.has(k)).sort();
}
