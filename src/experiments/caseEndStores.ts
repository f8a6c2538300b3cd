/**
 * The stores of case end records (domain/caseEndRecord.ts `CaseEndStore`). The default is
 * embedded: a SQLite file under DATA_DIR (node:sqlite, no server, nothing to install), which the
 * worker writes and the API reads, in one process (`npm start`) or two on one machine (SQLite
 * locks the file); API and workers on different machines use PostgreSQL instead
 * (CASE_END_DATABASE_URL, postgresCaseEndStore.ts). The memory store is for tests and tools that
 * run a worker without a DATA_DIR.
 *
 * Idempotent writes: the case's workflow id is the primary key and a second write of the same
 * case is ignored, so a retried activity writes once.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { CaseEndRecord, CaseEndStore } from '../../domain/caseEndRecord';
import type { ExperimentSettings } from '../../domain/experiment';

/** The default file, under DATA_DIR. */
export const caseEndStorePath = (dataDir: string): string => `${dataDir}/case-ends.sqlite`;

export function memoryCaseEndStore(): CaseEndStore & { all(): CaseEndRecord[] } {
  const records = new Map<string, CaseEndRecord>();
  const settings = new Map<string, ExperimentSettings>();
  // The order the SQLite and PostgreSQL stores read in: by end, then case, byte by byte (Stripe's
  // ids mix cases, which a locale's order would sort otherwise).
  const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const sorted = () => [...records.values()].sort((a, b) => byBytes(a.endedAt, b.endedAt) || byBytes(a.caseId, b.caseId));
  return {
    async write(record) {
      if (records.has(record.caseId)) return false;
      records.set(record.caseId, structuredClone(record));
      return true;
    },
    async ofExperiment(id) {
      return sorted()
        .filter((r) => r.experiment?.experimentId === id)
        .map((r) => structuredClone(r));
    },
    async experimentIds() {
      return [...new Set(sorted().flatMap((r) => (r.experiment ? [r.experiment.experimentId] : [])))];
    },
    async saveExperiment(id, s) {
      settings.set(id, { ...s });
    },
    async experimentSettings(id) {
      const s = settings.get(id);
      return s && { ...s };
    },
    all: () => sorted(),
    async close() {},
  };
}

/**
 * One table; the columns results filter on are columns, the record itself is JSON (a field added
 * later needs no migration). WAL: the API reads while the worker writes.
 */
export function sqliteCaseEndStore(path: string): CaseEndStore {
  // Opened at the first write (or a read once the file exists): a deployment that runs no
  // experiment keeps no file, and DATA_DIR stays empty in production (docs/production.md).
  let opened: ReturnType<typeof openSqlite> | undefined;
  const open = () => (opened ??= openSqlite(path));
  const readable = () => opened ?? (existsSync(path) ? open() : undefined);
  return {
    async write(r) {
      return open().write(r);
    },
    async ofExperiment(id) {
      return readable()?.ofExperiment(id) ?? [];
    },
    async experimentIds() {
      return readable()?.experimentIds() ?? [];
    },
    async saveExperiment(id, settings) {
      open().saveExperiment(id, settings);
    },
    async experimentSettings(id) {
      return readable()?.experimentSettings(id);
    },
    async close() {
      opened?.close();
    },
  };
}

function openSqlite(path: string) {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS case_ends (
    case_id TEXT PRIMARY KEY,
    experiment_id TEXT,
    arm TEXT,
    ended_at TEXT NOT NULL,
    record TEXT NOT NULL
  )`);
  db.exec('CREATE INDEX IF NOT EXISTS case_ends_experiment ON case_ends (experiment_id, arm)');
  db.exec('CREATE TABLE IF NOT EXISTS experiments (id TEXT PRIMARY KEY, settings TEXT NOT NULL)');
  const saveSettings = db.prepare(
    'INSERT INTO experiments (id, settings) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET settings = excluded.settings',
  );
  const readSettings = db.prepare('SELECT settings FROM experiments WHERE id = ?');
  const insert = db.prepare(
    'INSERT INTO case_ends (case_id, experiment_id, arm, ended_at, record) VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING',
  );
  const ofExperiment = db.prepare('SELECT record FROM case_ends WHERE experiment_id = ? ORDER BY ended_at, case_id');
  const ids = db.prepare(
    'SELECT experiment_id FROM case_ends WHERE experiment_id IS NOT NULL GROUP BY experiment_id ORDER BY MIN(ended_at)',
  );
  return {
    write(r: CaseEndRecord): boolean {
      const result = insert.run(
        r.caseId,
        r.experiment?.experimentId ?? null,
        r.experiment?.arm ?? null,
        r.endedAt,
        JSON.stringify(r),
      );
      return Number(result.changes) === 1;
    },
    ofExperiment: (id: string) => ofExperiment.all(id).map((row) => JSON.parse(String(row.record)) as CaseEndRecord),
    experimentIds: () => ids.all().map((row) => String(row.experiment_id)),
    saveExperiment(id: string, settings: ExperimentSettings): void {
      saveSettings.run(id, JSON.stringify(settings));
    },
    experimentSettings(id: string): ExperimentSettings | undefined {
      const row = readSettings.get(id);
      return row ? (JSON.parse(String(row.settings)) as ExperimentSettings) : undefined;
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
}
