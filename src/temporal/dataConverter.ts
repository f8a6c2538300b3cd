/**
 * The data converter of every client and worker of the service: payloads encrypted by the codec,
 * failure messages and stack traces encoded (and so encrypted) by the failure converter. A client
 * without it cannot read what the workers write (query results, workflow results), so whatever
 * talks to the service's workflows takes it from here.
 */
import { extname, join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, type EncryptionKey, type UnencryptedPayloads } from './payloadCodec';

/**
 * With this file's own extension: `.ts` from source (tsx, vitest, the workflow bundler), `.js` in
 * dist/. Node's require() does not try `.ts` on an extensionless path.
 */
export const FAILURE_CONVERTER_PATH = join(__dirname, `failureConverter${extname(__filename)}`);

export function encryptingDataConverter(
  keys: readonly EncryptionKey[],
  opts: { unencrypted?: UnencryptedPayloads } = {},
): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys, opts)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/**
 * The workers' converter: in production an unencrypted start, signal or Update payload reaches the
 * workflows as the marker they ignore (domain/unencryptedPayloads.ts); in development plaintext is
 * read as it is, as before. Clients keep accepting plaintext: they only read what the workers and
 * the API wrote.
 */
export function workerDataConverter(keys: readonly EncryptionKey[], production: boolean): DataConverter {
  return encryptingDataConverter(keys, { unencrypted: production ? 'mark' : 'accept' });
}
