/**
 * .env.example is the one list of settings an operator reads: it documents every variable the
 * service reads (src/config.ts's envSchema and any other `env.X` read in the production layers) and
 * every `${VAR}` docker-compose.yml substitutes; and `docker-compose config` accepts the stack with
 * nothing but a .env copied from it, plus the values it says are required.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from '../../src/config';
import { cachedToolchain } from '../../tools/toolchain';
import { findOnPath } from '../../tools/toolchain/process';
import { envReadsIn, NOT_SETTINGS, productionSources } from '../support/envReads';

const root = resolve(__dirname, '../..');
const example = readFileSync(join(root, '.env.example'), 'utf8');
const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

/** `NAME=` or `# NAME=` at the start of a line (commented out: documented, left unset). */
const documented = (name: string) => new RegExp(`^# ?${name}=|^${name}=`, 'm').test(example);

/**
 * `${VAR}`, `${VAR:-default}`, `${VAR:?error}` and `$VAR` in a compose file; `$$` is a literal `$`.
 * Whole-line `#` comments are YAML comments (the header's `$EDITOR` is not substituted); keep `$`
 * out of a `#` line inside a block scalar, or write `$$`.
 */
function composeVariables(text: string): { all: string[]; required: string[] } {
  const all = new Set<string>();
  const required = new Set<string>();
  const uncommented = text.replace(/^\s*#.*$/gm, '');
  for (const m of uncommented.matchAll(/(\$+)(?:\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?])?|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m[1]!.length % 2 === 0) continue; // `$$name`: escaped, the container's shell reads it
    const name = m[2] ?? m[4]!;
    all.add(name);
    if (m[3]?.endsWith('?')) required.add(name);
  }
  return { all: [...all], required: [...required] };
}

/** The value after `NAME=` in .env.example (undefined: absent or commented out). */
const exampleValue = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(example)?.[1]?.trim();

/** The comment lines right above `NAME=` / `# NAME=`: what the operator reads about it. */
function commentAbove(name: string): string {
  const lines = example.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^(# ?)?${name}=`).test(l));
  const comment: string[] = [];
  // Up to the previous variable (`# NAME=` too) or section heading (`# --- … ---`).
  for (let i = at - 1; i >= 0 && /^#(?! ?[A-Z][A-Z0-9_]*=| ---)/.test(lines[i]!); i--) comment.unshift(lines[i]!);
  return comment.join('\n');
}

describe('the scanners', () => {
  it('find env reads in the forms the code uses', () => {
    expect(envReadsIn("a(process.env.LOG_LEVEL); env?.B_C; env['D']; environment.NOPE; myenv.NO")).toEqual([
      'LOG_LEVEL',
      'B_C',
      'D',
    ]);
  });

  it('find compose variables, required ones apart, and skip escaped $$', () => {
    const text = '# $COMMENT\na: ${A}\nb: ${B:-x}\nc: ${C:?set C}\nd: ${D?set D}\ne: $E\nf: $$notme $${notme2} $$$F';
    expect(composeVariables(text)).toEqual({ all: ['A', 'B', 'C', 'D', 'E', 'F'], required: ['C', 'D'] });
  });
});

describe('.env.example', () => {
  const configKeys = Object.keys(envSchema.shape);
  const otherReads = productionSources(join(root, 'src'))
    .flatMap((file) => envReadsIn(readFileSync(file, 'utf8')))
    .filter((name) => !NOT_SETTINGS.has(name));
  const composeVars = composeVariables(compose);

  it('is compared with real lists (the scanners see what they must)', () => {
    expect(configKeys).toEqual(expect.arrayContaining(['API_TOKEN', 'LINK_SECRET', 'PAYLOAD_ENCRYPTION_KEYS']));
    expect(otherReads).toEqual(expect.arrayContaining(['LOG_LEVEL', 'DUNNING_API_URL']));
    expect(composeVars.all).toEqual(expect.arrayContaining(['POSTGRES_PASSWORD', 'TEMPORAL_NAMESPACE']));
  });

  it.each([
    ['the config reads (src/config.ts envSchema)', () => configKeys],
    ['src/ reads outside the config', () => otherReads],
    ['docker-compose.yml substitutes', () => composeVars.all],
  ])('documents every variable %s', (_what, names) => {
    const missing = [...new Set(names())].filter((name) => !documented(name)).sort();
    expect(missing, `.env.example does not document ${missing.join(', ')}`).toEqual([]);
  });

  it('names in its header every variable production requires', () => {
    const header = example.slice(0, example.search(/^[^#]/m));
    let problems: string[] = [];
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    const required = problems.flatMap((p) => /^([A-Z0-9_]+): required when NODE_ENV=production/.exec(p)?.[1] ?? []);
    expect(required).toContain('API_TOKEN');
    const missing = required.filter((name) => !new RegExp(`\\b${name}\\b`).test(header));
    expect(missing, `the header of .env.example does not name ${missing.join(', ')}`).toEqual([]);
  });

  it('says which variables docker-compose.yml requires (${VAR:?}), leaving their values to the operator', () => {
    for (const name of composeVars.required) {
      expect(commentAbove(name), `the comment above ${name} in .env.example`).toMatch(/required/i);
    }
  });
});

const dockerCompose = findOnPath('docker-compose') ?? cachedToolchain().dockerCompose;

// compose.test.ts fails in CI when docker-compose is missing; on a machine without it, this skips.
describe.skipIf(!dockerCompose)('docker-compose config with only the documented .env', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dunning-env-example-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes with .env.example as .env, filling in only what it says is required', () => {
    cpSync(join(root, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
    cpSync(join(root, 'deploy'), join(dir, 'deploy'), { recursive: true });
    // What the operator must fill in: the variables compose requires that .env.example leaves empty
    // (a working default in .env.example would defeat the requirement, e.g. a known password).
    const filled = composeVariables(compose)
      .required.filter((name) => !exampleValue(name))
      .map((name) => `${name}=filled-in-by-the-operator`);
    writeFileSync(join(dir, '.env'), [example, ...filled].join('\n') + '\n');
    const run = () =>
      execFileSync(dockerCompose!, ['config', '--quiet'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH }, // nothing from this shell's environment
      });
    expect(run).not.toThrow();
  });
});
