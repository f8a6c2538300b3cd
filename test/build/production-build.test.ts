/**
 * The production build (`npm run build`, what the image runs): compiled without tsx, without
 * dev-only code (sandbox/, tools/), with the workflow bundle prebuilt, and its entry point starts under plain Node.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { devOnlyInDist } from '../../scripts/image-contents';
import { withBuildLock } from '../support/productionBuild';

const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

describe('production build', () => {
  // Under the build lock: the production guide's walk (test/cluster) may be building or copying dist/.
  beforeAll(async () => {
    await withBuildLock(() =>
      execFileSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/build.ts'], { cwd: ROOT, stdio: 'pipe' }),
    );
  }, 600_000);

  it('holds the service and the prebuilt workflow bundle, and no dev-only code', () => {
    for (const f of ['src/main.js', 'src/worker.js', 'workflows/dunning.js', 'domain/caseRecord.js', 'workflow-bundle.js']) {
      expect(existsSync(join(DIST, f)), f).toBe(true);
    }
    expect(devOnlyInDist(DIST)).toEqual([]);
    expect(readFileSync(join(DIST, 'workflow-bundle.js'), 'utf8')).toContain('dunningWorkflow');
  });

  it('the check can fail: it names dev code in a build', () => {
    const fake = mkdtempSync(join(tmpdir(), 'dist-'));
    for (const dir of [['src'], ['sandbox', 'stripe'], ['tools', 'toolchain']]) {
      mkdirSync(join(fake, ...dir), { recursive: true });
      writeFileSync(join(fake, ...dir, 'index.js'), '');
    }
    expect(devOnlyInDist(fake).sort()).toEqual(['sandbox', 'tools']);
  });

  it('starts under plain Node (no tsx) and stops on a bad variable, naming it', () => {
    const run = spawnSync(process.execPath, [join(DIST, 'src', 'main.js'), 'api'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, PORT: 'abc', DATA_DIR: join(ROOT, '.data', 'build-test') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(`${run.stdout}${run.stderr}`).toMatch(/PORT/);
  });

  it('without a Temporal address or real keys, production refuses instead of reaching for dev code', () => {
    const run = spawnSync(process.execPath, [join(DIST, 'src', 'main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'production', DATA_DIR: join(ROOT, '.data', 'build-test') },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(/Cannot find module/);
  });

  it('the ops CLI runs under plain Node (`node dist/src/cli/cases.js`), with the API token rules of production', () => {
    const cases = (args: string[], env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, [join(DIST, 'src', 'cli', 'cases.js'), ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      });
    const usage = cases(['frob'], {});
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run cases');
    const noToken = cases(['list'], { NODE_ENV: 'production' });
    expect(noToken.status).toBe(1);
    expect(noToken.stderr.trim()).toBe("cases: API_TOKEN is required in production (the token of the service's /api)");
  });
});
