/**
 * The documentation covers what a user can set, call, run and search for (issue #22): every env
 * key production code reads, every route the app registers, every npm script, every custom search
 * attribute, every signal, Update and query is named in README.md or docs/**, and no relative link
 * or anchor of the Markdown files leads nowhere. The lists come from the code
 * (test/support/docsCoverage.ts), so something new fails here until it is documented.
 */
import { describe, expect, it } from 'vitest';
import {
  anchorsOf,
  appRoutes,
  brokenLinks,
  CODE_NAME,
  definitions,
  docSet,
  ENV,
  markdownFiles,
  NPM_SCRIPT,
  npmScripts,
  ROUTE,
  slug,
  undocumented,
  type Doc,
} from '../support/docsCoverage';
import { productionEnvKeys } from '../support/envReads';

const docs = docSet();

describe('the documentation covers the code', () => {
  it('every env key production code reads', () => {
    const keys = productionEnvKeys();
    // Found in the code, not listed by hand: the schema's keys and the reads outside it.
    expect(keys).toEqual(
      expect.arrayContaining(['API_TOKEN', 'TEMPORAL_ADDRESS', 'DUNNING_API_URL', 'WORKER_MAX_CACHED_WORKFLOWS']),
    );
    expect(keys.length).toBeGreaterThan(40);
    expect(undocumented(ENV, keys, docs)).toEqual([]);
  });

  it('every route the app registers', () => {
    const routes = appRoutes();
    expect(routes).toEqual(
      expect.arrayContaining(['/webhooks/stripe', '/billing/retry/:token', '/codec/:operation', '/healthz']),
    );
    expect(routes.length).toBeGreaterThan(25);
    expect(undocumented(ROUTE, routes, docs)).toEqual([]);
  });

  it('every npm script', () => {
    expect(undocumented(NPM_SCRIPT, npmScripts(), docs)).toEqual([]);
  });

  it('every search attribute, signal, Update and query', async () => {
    const d = await definitions();
    expect(d.searchAttributes).toEqual(expect.arrayContaining(['DunningState', 'DunningRecoveredBy']));
    expect(d.signals).toEqual(expect.arrayContaining(['paymentFailed', 'cancelDunning', 'recordDecline']));
    expect(d.updates).toEqual(expect.arrayContaining(['retryRequested', 'reserveAttempt']));
    expect(d.queries).toEqual(expect.arrayContaining(['status', 'ledger']));
    expect([
      ...undocumented(CODE_NAME('search attribute'), d.searchAttributes, docs),
      ...undocumented(CODE_NAME('signal'), d.signals, docs),
      ...undocumented(CODE_NAME('update'), d.updates, docs),
      ...undocumented(CODE_NAME('query'), d.queries, docs),
    ]).toEqual([]);
  });

  it('every relative link and anchor of README.md, CONTRIBUTING.md, CHANGELOG.md and docs/** leads somewhere', () => {
    const files = markdownFiles();
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md', 'CONTRIBUTING.md']));
    expect(brokenLinks(files)).toEqual([]);
  });
});

describe('the checks fail on what a doc set leaves out', () => {
  const fake: Doc[] = [
    {
      path: 'README.md',
      text: [
        '`npm start`, `npm run start:worker`; `npm test` runs `pretest` first.',
        'Set `API_TOKEN` (and `PORT`).',
        '| `POST /webhooks/stripe` | `GET /api/dunning?state=` | `POST /codec/encode` |',
        "Signal `paymentFailed`, Update `retryRequested`, `DunningState = 'active'`, a status (no query).",
      ].join('\n'),
    },
  ];

  it('an env key', () => {
    expect(undocumented(ENV, ['API_TOKEN', 'PORT', 'CODEC_TOKEN'], fake)).toEqual(['env key CODEC_TOKEN']);
    // A longer name that contains it documents nothing.
    expect(undocumented(ENV, ['TOKEN'], [{ path: 'x.md', text: 'API_TOKEN' }])).toEqual(['env key TOKEN']);
  });

  it('a route, with a parameter standing for any segment and no prefix of a longer path', () => {
    expect(undocumented(ROUTE, ['/webhooks/stripe', '/api/dunning', '/codec/:operation', '/webhooks/resend'], fake)).toEqual([
      'route /webhooks/resend',
    ]);
    expect(undocumented(ROUTE, ['/api/dunning'], [{ path: 'x.md', text: '`GET /api/dunning/stalled`' }])).toEqual([
      'route /api/dunning',
    ]);
  });

  it('an npm script, `npm run start` not documenting `start:api`', () => {
    expect(undocumented(NPM_SCRIPT, ['start', 'start:worker', 'test', 'pretest', 'start:api', 'prepare'], fake)).toEqual([
      'npm script start:api',
      'npm script prepare',
    ]);
  });

  it('a search attribute, a signal or an Update', () => {
    expect(undocumented(CODE_NAME('signal'), ['paymentFailed', 'paymentSucceeded'], fake)).toEqual(['signal paymentSucceeded']);
    expect(undocumented(CODE_NAME('update'), ['retryRequested', 'retryNowRequested'], fake)).toEqual([
      'update retryNowRequested',
    ]);
    expect(undocumented(CODE_NAME('search attribute'), ['DunningState', 'DunningBlockedOn'], fake)).toEqual([
      'search attribute DunningBlockedOn',
    ]);
    // "status" in prose is not the query `status`.
    expect(undocumented(CODE_NAME('query'), ['status'], fake)).toEqual(['query status']);
  });

  it('a link to a missing file or anchor', () => {
    const files: Record<string, string> = {
      'README.md':
        '# Title\n## Two commands\nSee [ops](docs/ops.md#the-ops-cli), [gone](docs/gone.md), [here](#two-commands), [x](#nope), [web](https://example.com/#x).\n',
      'docs/ops.md': '# Operations\n## The ops CLI\nBack to [the README](../README.md#title), [policy](policy.md#missing).\n',
      'docs/policy.md': '# Policy\n',
    };
    const docs = Object.entries(files).map(([path, text]) => ({ path, text }));
    const fs = { exists: (p: string) => p in files || p === 'docs', read: (p: string) => files[p] };
    expect(brokenLinks(docs, fs)).toEqual([
      'README.md: docs/gone.md (no such file)',
      'README.md: #nope (no such anchor)',
      'docs/ops.md: policy.md#missing (no such anchor)',
    ]);
  });

  it('anchors as GitHub makes them', () => {
    expect(slug("The Temporal SDK's metrics")).toBe('the-temporal-sdks-metrics');
    expect(slug('Benchmarks: npm run bench')).toBe('benchmarks-npm-run-bench');
    expect(slug('2. Temporal')).toBe('2-temporal');
    expect([...anchorsOf('# A\n```\n# not a heading\n```\n## Logs\n## Logs\n## `npm run cluster` here\n')]).toEqual([
      'a',
      'logs',
      'logs-1',
      'npm-run-cluster-here',
    ]);
  });
});
