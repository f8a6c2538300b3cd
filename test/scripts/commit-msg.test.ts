/**
 * The commit-msg hook (CONTRIBUTING.md, "Commits"): scripts/commit-msg.mjs refuses a subject over
 * 72 characters and lets through the subjects git writes itself; `npm ci`'s `prepare` installs
 * .githooks in a git checkout and does nothing without `.git` (the image build), and a real
 * `git commit` and `git merge` go through the installed hook.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript with no types (hooks run outside npm, before anything is built)
import { commitMessageProblem, MAX_SUBJECT, subjectOf } from '../../scripts/commit-msg.mjs';

const root = resolve(__dirname, '../..');
const problem = commitMessageProblem as (message: string, commentChar?: string) => string | undefined;
const subject = (n: number) => `Retry ${'x'.repeat(n - 6)}`;

describe('the commit message check', () => {
  it('takes 72 characters and refuses 73, naming the length', () => {
    expect(MAX_SUBJECT).toBe(72);
    expect(problem(`${subject(72)}\n\nWhy.\n`)).toBeUndefined();
    expect(problem(`${subject(73)}\n\nWhy.\n`)).toMatch(/the subject is 73 characters; at most 72/);
  });

  it('counts characters, not bytes', () => {
    expect(problem(`Thử ${'é'.repeat(68)}`)).toBeUndefined();
    expect(problem(`Thử ${'é'.repeat(69)}`)).toMatch(/73 characters/);
  });

  it('reads the subject as git will record it: comments, blank lines and what follows the scissors left out', () => {
    const long = subject(90);
    expect(subjectOf(`\n# Please enter the commit message\n\nFix it (#22)\n\n${long}\n`)).toBe('Fix it (#22)');
    expect(problem(`# ${long}\nFix it\n`)).toBeUndefined();
    expect(problem(`; ${long}\nFix it\n`, ';')).toBeUndefined();
    expect(problem(`# ------------------------ >8 ------------------------\n${long}\n`)).toBeUndefined();
    expect(problem(`Fix it   \n`)).toBeUndefined();
  });

  it("lets through the subjects git writes itself, and nothing that merely starts with 'Merge'", () => {
    const branch = 'a-branch-with-a-very-long-name-that-says-everything-about-the-change';
    expect(problem(`Merge branch '${branch}' into main\n`)).toBeUndefined();
    expect(problem(`Merge remote-tracking branch 'origin/${branch}'\n`)).toBeUndefined();
    expect(problem(`Revert "${subject(72)}"\n\nThis reverts commit abc.\n`)).toBeUndefined();
    expect(problem(`fixup! ${subject(72)}\n`)).toBeUndefined();
    expect(problem(`Merge ${subject(72)}\n`)).toMatch(/at most 72/);
  });
});

describe('the hook in a git checkout', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const prepare = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { prepare: string } }).scripts
    .prepare;
  const git = (cwd: string, ...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });

  /** A checkout with the repo's hook and check, as `npm ci` leaves it. */
  function checkout(withGit: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), 'commit-msg-'));
    dirs.push(dir);
    cpSync(join(root, '.githooks'), join(dir, '.githooks'), { recursive: true });
    mkdirSync(join(dir, 'scripts'));
    cpSync(join(root, 'scripts', 'commit-msg.mjs'), join(dir, 'scripts', 'commit-msg.mjs'));
    if (withGit) execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    return dir;
  }

  it("`prepare` does nothing where there is no .git (the image build's npm ci), and never calls git there", () => {
    const dir = checkout(false);
    // A git that records being called: prepare must not reach it.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho called > "${join(dir, 'git-called')}"\nexit 1\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const run = spawnSync('sh', ['-c', prepare], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, 'git-called'))).toBe(false);
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });

  it('`prepare` installs the hook, which refuses a long subject and takes a short one and a merge', () => {
    const dir = checkout(true);
    expect(spawnSync('sh', ['-c', prepare], { cwd: dir }).status).toBe(0);
    expect(git(dir, 'config', 'core.hooksPath').stdout.trim()).toBe('.githooks');

    const refused = git(dir, 'commit', '--allow-empty', '-q', '-m', subject(73));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/the subject is 73 characters; at most 72/);
    expect(git(dir, 'log').status).not.toBe(0); // nothing was committed

    expect(git(dir, 'commit', '--allow-empty', '-q', '-m', subject(72), '-m', 'Why.').status).toBe(0);
    const branch = 'a-branch-with-a-very-long-name-that-says-everything-about-the-change';
    expect(git(dir, 'checkout', '-q', '-b', branch).status).toBe(0);
    expect(git(dir, 'commit', '--allow-empty', '-q', '-m', 'Change it').status).toBe(0);
    expect(git(dir, 'checkout', '-q', 'main').status).toBe(0);
    expect(git(dir, 'commit', '--allow-empty', '-q', '-m', 'Change main').status).toBe(0);
    const merged = git(dir, 'merge', '--no-edit', '--no-ff', branch);
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(0);
    expect(git(dir, 'log', '-1', '--format=%s').stdout.trim()).toBe(`Merge branch '${branch}'`);
  });
});
