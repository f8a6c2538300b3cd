/**
 * Temporal's two databases on the cluster's PostgreSQL, as compose's `temporal-schema` service
 * makes them: create, set up versioning, update to the schema the server version ships (embedded
 * in the SQL tool, so no schema folder is needed). A marker per server version lets later starts
 * skip it; a new pin runs `update-schema` again, which upgrades in place.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { runWithHeartbeat, type Log } from '../toolchain/process';
import { CLUSTER_PORTS, PG_PASSWORD, PG_USER, type ClusterLayout } from './layout';

const DATABASES = [
  { db: 'temporal', schema: 'postgresql/v12/temporal' },
  { db: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;

export async function ensureSchema(sqlTool: string, version: string, layout: ClusterLayout, log: Log): Promise<void> {
  const marker = layout.schemaMarker(version);
  if (existsSync(marker)) return;
  for (const { db, schema } of DATABASES) {
    const base = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(CLUSTER_PORTS.postgres),
      '-u',
      PG_USER,
      '--pw',
      PG_PASSWORD,
      '--db',
      db,
    ];
    const step = async (args: string[], tolerateFailure = false) => {
      const { code, tail } = await runWithHeartbeat(sqlTool, [...base, ...args], { label: `schema ${db}`, log });
      if (code !== 0 && !tolerateFailure) throw new Error(`temporal-sql-tool ${args[0]} on ${db} failed:\n${tail.slice(-2000)}`);
    };
    // Already there after an interrupted first run: the later steps tell whether it is usable.
    await step(['create-database'], true);
    await step(['setup-schema', '-v', '0.0']);
    await step(['update-schema', '--schema-name', schema]);
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`);
}
