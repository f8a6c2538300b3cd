/**
 * The dated-patch rule (workflows/patchDates.ts, docs/releases.md): a patch is retired once it is
 * older than the longest a case lives plus the namespace's retention. Past that, no open case
 * started before the patch, and no closed history the server still keeps (which a query, a reset
 * or the replay of a closed case runs through the worker), can take the old branch.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, POLICY_1_0, parseDuration } from '../../domain/policy';
import { NAMESPACE_RETENTION_DAYS } from '../../tools/temporal/devServer';
import { overduePatches, PATCH_DATES } from '../../workflows/patchDates';

const DAY = 86_400_000;
const POLICIES_DIR = join(__dirname, '..', '..', 'policies');

/**
 * How long a case may run past its endAfter: the end action waits out a provider outage (a case
 * never fails because of what a provider answered), and the last settlement checks follow it.
 * A week: longer than any outage the chaos runs model.
 */
const AFTER_END_DAYS = 7;

/** Every `endAfter` in a policy document: the base, byCategory, overrides, sign-ups. */
function endAfters(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(endAfters);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => (k === 'endAfter' && typeof v === 'string' ? [v] : endAfters(v)));
}

/** The longest endAfter of the built-in policy and every shipped policy file (policies/, proposals too). */
function longestEndAfterMs(): number {
  const files = readdirSync(POLICIES_DIR, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.json') && !f.includes('network-rules'),
  );
  const all = [
    POLICY_1_0,
    DEFAULT_POLICY,
    ...files.map((f) => JSON.parse(readFileSync(join(POLICIES_DIR, f), 'utf8')) as unknown),
  ];
  return Math.max(...all.flatMap(endAfters).map(parseDuration));
}

/** A patch's life: a case started the day before it shipped, at its longest, then kept as long as retention. */
const PATCH_KEEP_MS = longestEndAfterMs() + AFTER_END_DAYS * DAY + NAMESPACE_RETENTION_DAYS * DAY;

describe('dated patches', () => {
  it('no patch outlives the longest case plus retention', () => {
    const overdue = overduePatches(PATCH_DATES, Date.now(), PATCH_KEEP_MS);
    expect(
      overdue.map((p) => `${p.id} (since ${p.since}): retire it from ${p.retireFrom} (docs/releases.md)`),
      `patches are kept ${Math.round(PATCH_KEEP_MS / DAY)} days`,
    ).toEqual([]);
  });

  it('keeps a patch 14 + 7 + 35 = 56 days with the shipped policies and the 35-day retention', () => {
    // A policy file with a longer endAfter, or a longer retention, lengthens it: say so in docs/releases.md.
    expect(PATCH_KEEP_MS / DAY).toBe(56);
  });

  it('reports a patch once it is older than that, and one whose date does not parse', () => {
    const dates = { fresh: '2027-03-01', old: '2027-01-01', typo: '2027-3-1' };
    const now = Date.parse('2027-03-10T12:00:00Z');
    expect(overduePatches(dates, now, 56 * DAY)).toEqual([
      { id: 'old', since: '2027-01-01', retireFrom: '2027-02-26' },
      { id: 'typo', since: '2027-3-1', retireFrom: 'unknown: the date is not YYYY-MM-DD' },
    ]);
    // On the day itself it is still kept.
    expect(overduePatches({ edge: '2027-01-01' }, Date.parse('2027-02-26T00:00:00Z'), 56 * DAY)).toEqual([]);
  });

  it('every patched() or deprecatePatch() in workflows/ takes a dated id', () => {
    expect(undatedPatchCalls(workflowSources())).toEqual([]);
    // The check can fail: a bare string id is reported with its file.
    expect(undatedPatchCalls([['x.ts', "if (patched('retry-gap-24h')) {}"]])).toEqual(["x.ts: patched('retry-gap-24h')"]);
    expect(undatedPatchCalls([['x.ts', "if (patched(datedPatch('retry-gap-24h'))) {}"]])).toEqual([]);
  });
});

const WORKFLOWS_DIR = join(__dirname, '..', '..', 'workflows');

function workflowSources(): Array<[string, string]> {
  return readdirSync(WORKFLOWS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, readFileSync(join(WORKFLOWS_DIR, f), 'utf8')]);
}

/** The patched()/deprecatePatch() calls whose id is not given through datedPatch(): undated patches. */
function undatedPatchCalls(sources: Array<[string, string]>): string[] {
  return sources.flatMap(([file, text]) =>
    [...text.matchAll(/\b(patched|deprecatePatch)\(\s*(?!datedPatch\()([^)]+)\)/g)].map((m) => `${file}: ${m[1]}(${m[2]})`),
  );
}
