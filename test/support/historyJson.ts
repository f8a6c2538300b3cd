/**
 * History ⇄ the JSON form Temporal's tools write (protobuf JSON: enum names, int64 as strings,
 * RFC 3339 timestamps), as @temporalio/common's historyToJSON/historyFromJSON produce.
 *
 * Why not those two directly: they take their protobufjs from @temporalio/common and the message
 * types from @temporalio/proto. In this install each package has its own nested copy of
 * protobufjs 8 (the top level holds 7.x for @grpc/proto-loader), so protobufjs's `instanceof Type`
 * check fails and both throw "type must be a Type". Same code path, with the protobufjs copy that
 * @temporalio/proto's types were built with.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';

const fromProto = createRequire(require.resolve('@temporalio/proto'));
const proto = fromProto('@temporalio/proto');
const { patchProtobufRoot } = fromProto('@temporalio/proto/lib/patch-protobuf-root');
const { fromJson, toJson } = fromProto('protobufjs/ext/protojson') as {
  fromJson(type: unknown, json: unknown, opts?: { ignoreUnknownFields?: boolean }): unknown;
  toJson(type: unknown, message: unknown): unknown;
};
const historyType = patchProtobufRoot(proto).lookupType('temporal.api.history.v1.History');

export type { History };

export function historyToJSON(history: History): string {
  return JSON.stringify(toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 1);
}

export function historyFromJSON(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  return fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}

/** Where the recorded histories live: one per scenario, `<scenario>.json`. */
export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1, writes a finished workflow's history to test/histories/<name>.json (the
 * scenario's one history, replaced), for test/workflows/replay.test.ts. Does nothing otherwise.
 */
export async function recordHistory(name: string, handle: { fetchHistory(): Promise<History> }): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const history = await handle.fetchHistory();
  const file = join(HISTORIES_DIR, `${name}.json`);
  writeFileSync(file, `${historyToJSON(history)}\n`);
  console.log(`[history] ${file}: ${history.events?.length ?? 0} events`);
}
