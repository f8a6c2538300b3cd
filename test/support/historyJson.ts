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
import { createRequire } from 'node:module';
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

/**
 * With RECORD_HISTORIES=<label> (`1` means `current`), writes a finished workflow's history to
 * test/histories/<name>.<label>.json, for test/workflows/replay.test.ts. Does nothing otherwise.
 */
export async function recordHistory(name: string, handle: { fetchHistory(): Promise<History> }): Promise<void> {
  const label = process.env.RECORD_HISTORIES === '1' ? 'current' : process.env.RECORD_HISTORIES;
  if (!label) return;
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = join(__dirname, '..', 'histories');
  mkdirSync(dir, { recursive: true });
  const history = await handle.fetchHistory();
  writeFileSync(join(dir, `${name}.${label}.json`), `${historyToJSON(history)}\n`);
}
