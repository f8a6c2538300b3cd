/**
 * The PostgreSQL store of case end records (domain/caseEndRecord.ts `CaseEndStore`), chosen by
 * CASE_END_DATABASE_URL: for deployments whose API and workers run on different machines, which
 * the embedded SQLite file (one machine) cannot serve. Same semantics as that file
 * (src/experiments/caseEndStores.ts): one row per case keyed by its workflow id, written once
 * (`ON CONFLICT DO NOTHING`, so a retried activity writes once); the columns results filter on are
 * columns and the record itself is JSONB (a field added later needs no migration); the
 * experiments' settings in their own table.
 *
 * The schema is created at first use (`CREATE … IF NOT EXISTS` under an advisory lock, so a worker
 * and an API starting together do not race): no migration step. A database that is down makes
 * each call fail (nothing is buffered here): the activity `recordCaseEnd` then fails and Temporal
 * retries it, so no record is lost while the database comes back.
 */
import pg from 'pg';
import type { CaseEndRecord, CaseEndStore } from '../../domain/caseEndRecord';
import type { ExperimentSettings } from '../../domain/experiment';

/** `postgres://user@host:port/db`: the URL without its password (or any query), for logs and errors. */
export function describeDatabaseUrl(url: string): string {
  if (!URL.canParse(url)) return 'postgres://(unparsable URL)';
  const u = new URL(url);
  const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
  return `${u.protocol}//${user}${u.host}${u.pathname}`;
}

/** Any lock id, fixed: the schema's creation is serialized across the processes that share the database. */
const SCHEMA_LOCK = 7_212_331_023;

// One query string: PostgreSQL runs the statements of a simple query as one transaction, which
// holds the advisory lock to its end (and rolls everything back on an error).
const SCHEMA = `
SELECT pg_advisory_xact_lock(${SCHEMA_LOCK});
CREATE TABLE IF NOT EXISTS case_ends (
  case_id TEXT PRIMARY KEY,
  experiment_id TEXT,
  arm TEXT,
  ended_at TIMESTAMPTZ NOT NULL,
  record JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS case_ends_experiment ON case_ends (experiment_id, arm);
CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, settings JSONB NOT NULL);
`;

export interface PostgresStoreOptions {
  /** Errors of idle connections (the server restarted): logged, the pool replaces the connection. */
  warn?: (msg: string, meta: Record<string, unknown>) => void;
  /** At most this many connections per process (default 4: one worker's writes and the API's reads are few). */
  maxConnections?: number;
}

export interface PostgresCaseEndStore extends CaseEndStore {
  /** Connects and creates the schema if missing: the start's check (main.ts), and what every call does first. */
  ready(): Promise<void>;
}

export function postgresCaseEndStore(url: string, opts: PostgresStoreOptions = {}): PostgresCaseEndStore {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 4,
    // Under the activity's 30 s start-to-close timeout: a database that does not answer fails the
    // attempt, and Temporal tries again later, instead of the attempt timing out.
    connectionTimeoutMillis: 10_000,
    query_timeout: 15_000,
    idleTimeoutMillis: 30_000,
    application_name: 'dunning-case-ends',
  });
  // Without a listener an idle connection's error (the server restarted) would end the process.
  pool.on('error', (err) =>
    opts.warn?.('case end database: an idle connection failed; the pool opens another', {
      database: describeDatabaseUrl(url),
      error: err.message,
    }),
  );
  let schema: Promise<void> | undefined;
  const ready = () =>
    (schema ??= pool.query(SCHEMA).then(
      () => undefined,
      (err: unknown) => {
        schema = undefined; // tried again at the next call
        throw err;
      },
    ));
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[]) => {
    await ready();
    return pool.query<R>(text, values);
  };
  let closed: Promise<void> | undefined;
  return {
    ready,
    async write(r) {
      const result = await query(
        `INSERT INTO case_ends (case_id, experiment_id, arm, ended_at, record) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (case_id) DO NOTHING`,
        [r.caseId, r.experiment?.experimentId ?? null, r.experiment?.arm ?? null, r.endedAt, JSON.stringify(r)],
      );
      return result.rowCount === 1;
    },
    async ofExperiment(id) {
      // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
      const { rows } = await query<{ record: CaseEndRecord }>(
        'SELECT record FROM case_ends WHERE experiment_id = $1 ORDER BY ended_at, case_id COLLATE "C"',
        [id],
      );
      return rows.map((row) => row.record);
    },
    async experimentIds() {
      const { rows } = await query<{ experiment_id: string }>(
        `SELECT experiment_id FROM case_ends WHERE experiment_id IS NOT NULL
         GROUP BY experiment_id ORDER BY MIN(ended_at), experiment_id COLLATE "C"`,
        [],
      );
      return rows.map((row) => row.experiment_id);
    },
    async saveExperiment(id, settings) {
      await query(
        'INSERT INTO experiments (id, settings) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings',
        [id, JSON.stringify(settings)],
      );
    },
    async experimentSettings(id) {
      const { rows } = await query<{ settings: ExperimentSettings }>('SELECT settings FROM experiments WHERE id = $1', [id]);
      return rows[0]?.settings;
    },
    close() {
      return (closed ??= pool.end());
    },
  };
}

/** Connection failures that pass (the server down, starting, unreachable): waited out at start, retried by Temporal later. */
const PASSING_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);

/** True for a database that does not answer yet; false for one that refuses (a wrong password, no such database). */
export function isPostgresUnreachable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (PASSING_CODES.has(code) || code.startsWith('08'))) return true;
    // pg's own timeouts carry no code.
    if (/timeout|Connection terminated/i.test(e.message)) return true;
    // Node's AggregateError of a refused dual-stack connect (localhost: ::1 and 127.0.0.1).
    if (e instanceof AggregateError && e.errors.some((inner) => isPostgresUnreachable(inner))) return true;
  }
  return false;
}
