/**
 * `npm run cases -- …`: the ops CLI (`node dist/src/cli/cases.js …` in the production image). Lists
 * cases, shows one as a timeline, and acts on it (cancel, retry now, resend the link) and on the
 * quarantined Stripe events, through the service's `/api` with its token. See USAGE (casesArgs.ts).
 *
 * Exit codes: 0 done; 1 the service said no or could not be reached (one line on stderr: an
 * unknown invoice, a refused retry, a wrong token); 2 a usage problem (the usage on stderr).
 */
import { userInfo } from 'node:os';
import { z } from 'zod';
import { ApiError, CasesApi, CliError, resolveTarget } from './casesApi';
import { OPEN_STATES } from '../../domain/types';
import { parseCasesArgs, USAGE, type Command } from './casesArgs';
import { formatCase, formatCaseList, formatLinkSent, formatQuarantine, formatRetryOutcome, formatStalled } from './casesFormat';
import { readCaseList, readQuarantine, readStalled, readStatus } from './casesSchemas';
import { formatExperiments, readExperiments } from './experimentsFormat';
import type { RetryOutcome } from '../../domain/types';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  now(): number;
  fetch?: typeof fetch;
}

const retryAnswer = z.union([
  z.object({ accepted: z.literal(true) }),
  z.object({ outcome: z.enum(['succeeded', 'declined', 'requires_action', 'not_possible']) }).passthrough(),
]);
const linkAnswer = z.union([
  z.object({ accepted: z.literal(true) }),
  z.object({ outcome: z.literal('sent'), template: z.string(), messageId: z.string().optional() }).passthrough(),
]);

/** Who acts, for the service's logs: `cli:<user>`. */
function defaultBy(env: NodeJS.ProcessEnv): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${env.USER ?? 'unknown'}`; // no passwd entry (a container's arbitrary uid)
  }
}

const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');

/** Carries out one command; returns what to print. */
async function run(api: CasesApi, command: Exclude<Command, { name: 'help' }>, json: boolean, now: number): Promise<string> {
  const show = (body: unknown, text: () => string) => (json ? JSON.stringify(body, null, 2) : text());
  switch (command.name) {
    case 'list': {
      if (command.stalled) {
        const { body } = await api.request('GET', '/api/dunning/stalled');
        return show(body, () => formatStalled(readStalled(body)));
      }
      const q = new URLSearchParams({ limit: String(command.limit) });
      if (command.state) q.set('state', command.state);
      if (command.customerId) q.set('customerId', command.customerId);
      if (command.blocked) q.set('blocked', 'true');
      const { body } = await api.request('GET', `/api/dunning?${q}`);
      return show(body, () => formatCaseList(readCaseList(body)));
    }
    case 'show': {
      const { body } = await api.request('GET', `/api/invoices/${path(command.invoiceId)}/dunning`);
      return show(body, () => formatCase(readStatus(body), now));
    }
    case 'cancel': {
      const { body } = await api.request('POST', `/api/invoices/${path(command.invoiceId)}/cancel`, {
        reason: command.reason,
        by: command.by,
      });
      return show(body, () => `${command.invoiceId}: cancelled (${command.reason}); the case ends as soon as it hears it`);
    }
    case 'retry-now': {
      const { body } = await api.request('POST', `/api/invoices/${path(command.invoiceId)}/retry-now`, { by: command.by });
      return show(body, () =>
        formatRetryOutcome(command.invoiceId, retryAnswer.parse(body) as RetryOutcome | { accepted: true }),
      );
    }
    case 'resend-link': {
      const { body } = await api.request('POST', `/api/invoices/${path(command.invoiceId)}/resend-link`, { by: command.by });
      return show(body, () => formatLinkSent(command.invoiceId, linkAnswer.parse(body)));
    }
    case 'release-collection':
      return releaseCollection(api, command, json);
    case 'reencrypt':
      return 'all' in command ? reencryptAll(api, command, json, now) : reencryptOne(api, command, json);
    case 'experiments': {
      const { body } = await api.request('GET', '/api/experiments');
      return show(body, () => formatExperiments(readExperiments(body)));
    }
    case 'quarantine list': {
      const { body } = await api.request('GET', `/api/quarantine?limit=${command.limit}`);
      return show(body, () => formatQuarantine(readQuarantine(body)));
    }
    case 'quarantine replay':
    case 'quarantine discard': {
      const action = command.name === 'quarantine replay' ? 'replay' : 'discard';
      const { body } = await api.request('POST', `/api/quarantine/${path(command.eventId)}/${action}`, { by: command.by });
      return show(body, () => {
        const { replayed: _r, discarded: _d, ...done } = (body ?? {}) as Record<string, unknown>;
        const detail = Object.keys(done).length ? ` ${JSON.stringify(done)}` : '';
        return `${command.eventId}: ${action === 'replay' ? 'replayed' : 'discarded'}${detail}`;
      });
    }
  }
}

const reencryptAnswer = z.object({ reencrypt: z.literal('requested'), fromRunId: z.string() }).passthrough();

async function reencryptOne(api: CasesApi, command: { invoiceId: string; by: string }, json: boolean): Promise<string> {
  const { body } = await api.request('POST', `/api/invoices/${path(command.invoiceId)}/reencrypt`, { by: command.by });
  if (json) return JSON.stringify(body, null, 2);
  const { fromRunId } = reencryptAnswer.parse(body);
  return `${command.invoiceId}: re-encryption requested; the case continues as new at its next wait (run ${fromRunId} ends)`;
}

/**
 * Every open case whose run started before `startedBefore` (default: now), asked to re-encrypt
 * itself. A case re-encrypted starts a new run, after that instant: a second run of the command
 * with the same instant takes only the ones left (more than a batch, or ended meanwhile).
 */
async function reencryptAll(
  api: CasesApi,
  command: { startedBefore?: string; by: string },
  json: boolean,
  now: number,
): Promise<string> {
  const startedBefore = command.startedBefore ?? new Date(now).toISOString();
  const found: string[] = [];
  for (const state of OPEN_STATES) {
    const q = new URLSearchParams({ state, startedBefore, limit: String(RELEASE_BATCH) });
    const { body } = await api.request('GET', `/api/dunning?${q}`);
    for (const c of readCaseList(body)) if (c.invoiceId) found.push(c.invoiceId);
  }
  const results: Array<{ invoiceId: string; fromRunId?: string; error?: string }> = [];
  for (const invoiceId of found) {
    try {
      const { body } = await api.request('POST', `/api/invoices/${path(invoiceId)}/reencrypt`, { by: command.by });
      results.push({ invoiceId, fromRunId: reencryptAnswer.parse(body).fromRunId });
    } catch (err) {
      // Ended meanwhile (409), or gone (404): reported, the others go on.
      if (!(err instanceof ApiError)) throw err;
      results.push({ invoiceId, error: err.message });
    }
  }
  const more = found.length >= RELEASE_BATCH;
  if (json) return JSON.stringify({ startedBefore, reencrypt: results, more }, null, 2);
  if (results.length === 0) return `no open case started before ${startedBefore}: nothing to re-encrypt`;
  const lines = results.map((r) => (r.error ? `${r.invoiceId}: ${r.error}` : `${r.invoiceId}: re-encryption requested`));
  lines.push(`${results.filter((r) => !r.error).length} of ${results.length} cases continue as new at their next wait`);
  if (more) lines.push(`run again with --started-before ${startedBefore} for the rest`);
  return lines.join('\n');
}

/** The most cases one run takes: the API lists at most this many at once; run again for more. */
const RELEASE_BATCH = 1000;

/**
 * Before uninstalling the service: every open case is cancelled, and the cancel gives its invoice
 * back to Stripe's own collection (the API does both, idempotently). One line per invoice.
 */
async function releaseCollection(
  api: CasesApi,
  command: Extract<Command, { name: 'release-collection' }>,
  json: boolean,
): Promise<string> {
  const q = new URLSearchParams({ state: 'active', limit: String(RELEASE_BATCH) });
  if (command.customerId) q.set('customerId', command.customerId);
  const { body } = await api.request('GET', `/api/dunning?${q}`);
  const results: Array<{ invoiceId: string; stripeCollection?: string; error?: string }> = [];
  for (const c of readCaseList(body)) {
    if (!c.invoiceId) continue;
    try {
      const { body: answer } = await api.request('POST', `/api/invoices/${path(c.invoiceId)}/cancel`, {
        reason: command.reason,
        by: command.by,
      });
      results.push({ invoiceId: c.invoiceId, stripeCollection: (answer as { stripeCollection?: string }).stripeCollection });
    } catch (err) {
      // Ended meanwhile (404): the API still gave the invoice back; anything else is reported.
      if (!(err instanceof ApiError)) throw err;
      results.push({ invoiceId: c.invoiceId, error: err.message });
    }
  }
  if (json) return JSON.stringify({ released: results, more: results.length === RELEASE_BATCH }, null, 2);
  if (results.length === 0) return 'no open case: nothing to release';
  const lines = results.map((r) =>
    r.error
      ? `${r.invoiceId}: ${r.error}`
      : `${r.invoiceId}: cancelled (${command.reason}); Stripe's collection ${r.stripeCollection === 'released' ? 'back on' : `not changed (${r.stripeCollection})`}`,
  );
  if (results.length === RELEASE_BATCH) lines.push(`${RELEASE_BATCH} cases done: run the command again for the rest`);
  return lines.join('\n');
}

/** The CLI, as a function of its arguments and surroundings (tests run it in process). Returns the exit code. */
export async function runCases(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCasesArgs(argv, { by: defaultBy(io.env) });
  if (!parsed.ok) {
    io.err(`cases: ${parsed.problem}\n\n${USAGE}`);
    return 2;
  }
  const { command, api: apiUrl, json } = parsed.invocation;
  if (command.name === 'help') {
    io.out(USAGE);
    return 0;
  }
  try {
    const api = new CasesApi(resolveTarget(apiUrl, io.env, io.cwd), io.fetch);
    io.out(await run(api, command, json, io.now()));
    return 0;
  } catch (err) {
    if (err instanceof ApiError) {
      io.err(`cases: ${err.message}`);
      // The API found the input invalid: the same usage problem the CLI would have reported.
      return err.status === 400 ? 2 : 1;
    }
    if (err instanceof CliError) {
      io.err(`cases: ${err.message}`);
      return 1;
    }
    io.err(`cases: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  void runCases(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    now: () => Date.now(),
  }).then((code) => {
    process.exitCode = code;
  });
}
