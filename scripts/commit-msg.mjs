#!/usr/bin/env node
/**
 * The commit-msg hook's check (.githooks/commit-msg runs it; `npm ci`'s `prepare` points git at
 * .githooks): a subject of at most 72 characters, so that `git log --oneline`, GitHub and email
 * show it whole. Plain Node, no dependencies: hooks run outside npm, before anything is built.
 *
 *   node scripts/commit-msg.mjs <message file>    exit 0, or 1 with the reason on stderr
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const MAX_SUBJECT = 72;

/**
 * Subjects git writes itself: their length comes from the branch, tag or commit they name, not
 * from the author, so they pass whatever their length (`Merge branch '…' into …`, `Revert "…"`,
 * and the `fixup!`/`squash!`/`amend!` commits that `git rebase --autosquash` folds away).
 */
const WRITTEN_BY_GIT = [
  /^Merge (branch|branches|remote-tracking branch|tag|commit|pull request) /,
  /^Revert ".*"$/,
  /^(fixup|squash|amend)! /,
];

/**
 * The subject as git will record it: the first line that is neither blank nor a comment, above
 * the scissors line of `git commit -v` (the hook sees the message before git cleans it up).
 */
export function subjectOf(message, commentChar = '#') {
  for (const line of message.split(/\r?\n/)) {
    if (line.startsWith(`${commentChar} ------------------------ >8 ------------------------`)) break;
    if (line.startsWith(commentChar) || line.trim() === '') continue;
    return line.trimEnd();
  }
  return '';
}

/** Why the message is refused, or undefined. Lengths count characters, not bytes. */
export function commitMessageProblem(message, commentChar = '#') {
  const subject = subjectOf(message, commentChar);
  if (WRITTEN_BY_GIT.some((re) => re.test(subject))) return undefined;
  const length = [...subject].length;
  if (length <= MAX_SUBJECT) return undefined;
  return (
    `commit-msg: the subject is ${length} characters; at most ${MAX_SUBJECT} (CONTRIBUTING.md, "Commits").\n` +
    `  ${subject}\n  ${' '.repeat(MAX_SUBJECT)}^ cut here, and put the why in the body after a blank line.`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node scripts/commit-msg.mjs <commit message file>\n');
    process.exit(2);
  }
  // core.commentChar `auto` picks a character per message; `#` is what it picks unless taken.
  const commentChar = process.env.COMMIT_MSG_COMMENT_CHAR;
  const problem = commitMessageProblem(readFileSync(file, 'utf8'), !commentChar || commentChar === 'auto' ? '#' : commentChar);
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
}
