/**
 * `npm ci` prints no warning about install scripts (issue #22): package.json's `allowScripts`
 * (npm 11.16+, advisory until npm 12 blocks what it does not allow) decides every dependency of
 * the lockfile that has one. Checked against package-lock.json, so a new dependency with an
 * install script fails here before it warns at every install. Why each is allowed or not:
 *
 * - `@swc/core` (true): its postinstall checks the native binding for this platform and installs
 *   the wasm build when there is none; the worker bundles workflows with it.
 * - `esbuild` (true): its postinstall checks the platform binary (fetching it when the optional
 *   package is missing) and links it in place of the JS shim; tsx runs on it.
 * - `protobufjs` (false): its postinstall only warns when a dependent pins it with another version
 *   scheme; nothing depends on it running.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

type Lock = { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };

/** `name@version` of every locked package with an install script. */
function withInstallScripts(lock: Lock): Array<{ name: string; version: string }> {
  return Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.hasInstallScript)
    .map(([path, p]) => ({
      name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length),
      version: p.version ?? '',
    }));
}

/**
 * Entries are `name` (any version) or `name@version`, as `npm approve-scripts` writes them (a pin
 * only where the lockfile has resolved URLs, which this one does not: `name` it is).
 */
const entryName = (key: string) => key.replace(/(?<=.)@.*$/, '');
const covers = (key: string, pkg: { name: string; version: string }) => key === pkg.name || key === `${pkg.name}@${pkg.version}`;

/** What `npm ci` would warn about, and the entries that name no package with an install script. */
function reviewInstallScripts(lock: Lock, allowScripts: Record<string, boolean>) {
  const scripted = withInstallScripts(lock);
  const keys = Object.keys(allowScripts);
  return {
    unreviewed: scripted.filter((p) => !keys.some((k) => covers(k, p))).map((p) => `${p.name}@${p.version}`),
    stale: keys.filter((k) => !scripted.some((p) => p.name === entryName(k))),
  };
}

const read = <T>(file: string) => JSON.parse(readFileSync(join(root, file), 'utf8')) as T;

describe('install scripts', () => {
  it('package.json allows or denies every install script in the lockfile, and names no other package', () => {
    const lock = read<Lock>('package-lock.json');
    const { allowScripts } = read<{ allowScripts: Record<string, boolean> }>('package.json');
    expect(withInstallScripts(lock).map((p) => p.name)).toEqual(expect.arrayContaining(['@swc/core', 'esbuild']));
    expect(reviewInstallScripts(lock, allowScripts)).toEqual({ unreviewed: [], stale: [] });
    expect(allowScripts).toEqual({ '@swc/core': true, esbuild: true, protobufjs: false });
  });

  it('finds a package left out, a version pin that no longer matches, and a stale entry', () => {
    const lock: Lock = {
      packages: {
        '': { version: '1.0.0', hasInstallScript: true },
        'node_modules/esbuild': { version: '0.28.2', hasInstallScript: true },
        'node_modules/@swc/core': { version: '1.16.22', hasInstallScript: true },
        'node_modules/a/node_modules/sharp': { version: '0.34.0', hasInstallScript: true },
        'node_modules/zod': { version: '3.25.0' },
      },
    };
    expect(reviewInstallScripts(lock, { esbuild: true, '@swc/core@1.16.21': true, zod: true })).toEqual({
      unreviewed: ['@swc/core@1.16.22', 'sharp@0.34.0'],
      stale: ['zod'],
    });
    expect(reviewInstallScripts(lock, { esbuild: true, '@swc/core@1.16.22': true, sharp: false })).toEqual({
      unreviewed: [],
      stale: [],
    });
  });
});
