/**
 * The production build (`npm run build` → dist/) for tests that run it, built at most once per
 * change: tests of different vitest projects may run at once, and `npm run build` starts by
 * deleting dist/, so every build and every copy of dist/ happens under one lock file.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../../tools/cluster/lock';
import { REPO_ROOT } from './productionGuide';

export const DIST = join(REPO_ROOT, 'dist');
const LOCK = join(REPO_ROOT, '.data', 'production-build.lock');
/** What `npm run build` reads: a change to any of it makes dist/ stale. */
const INPUTS = [
  'domain',
  'workflows',
  'activities',
  'src',
  'scripts/build.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

/** `work` with the build lock held (the production-build test builds under it too). */
export async function withBuildLock<T>(work: () => Promise<T> | T): Promise<T> {
  mkdirSync(join(REPO_ROOT, '.data'), { recursive: true });
  return withLock(LOCK, async () => work());
}

export function runBuild(): void {
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe' });
}

function newestInput(): number {
  let newest = 0;
  const visit = (path: string) => {
    const s = statSync(path);
    if (s.isDirectory()) for (const e of readdirSync(path)) visit(join(path, e));
    else newest = Math.max(newest, s.mtimeMs);
  };
  for (const p of INPUTS) if (existsSync(join(REPO_ROOT, p))) visit(join(REPO_ROOT, p));
  return newest;
}

/** The bundle is written last: dist/ is complete and fresh when it is newer than every input. */
export function distIsFresh(): boolean {
  const bundle = join(DIST, 'workflow-bundle.js');
  return existsSync(bundle) && statSync(bundle).mtimeMs > newestInput();
}

/**
 * `npm run build` unless dist/ is fresh, then a private copy of dist/ under `.data/` (inside the
 * repository, so that its modules find node_modules as dist/'s do) that a concurrent build cannot
 * delete while its processes run. Returns the copy's path.
 */
export async function productionBuildCopy(name: string): Promise<string> {
  return withBuildLock(() => {
    if (!distIsFresh()) runBuild();
    const copy = join(REPO_ROOT, '.data', name, 'dist');
    rmSync(copy, { recursive: true, force: true });
    cpSync(DIST, copy, { recursive: true });
    return copy;
  });
}
