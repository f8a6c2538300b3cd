// The production worker's codec decodes a payload that is not encrypted into the marker the
// workflows ignore (domain/unencryptedPayloads.ts); development, the clients and the codec server
// read it as it is. The whole path on a real server: test/temporal/unencrypted-payloads.test.ts.
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  carriesUnencryptedPayload,
  isUnencryptedPayloadMarker,
  lacksEncryptedArgument,
  UNENCRYPTED_PAYLOAD_MARKER,
} from '../../domain/unencryptedPayloads';
import { workerDataConverter } from '../../src/temporal/dataConverter';
import { EncryptionCodec } from '../../src/temporal/payloadCodec';

const keys = [{ id: 'k1', key: randomBytes(32) }];
const cancel = { reason: 'sent in clear', by: 'an outsider' };
const plain = defaultPayloadConverter.toPayload(cancel);
const read = (p: Parameters<typeof defaultPayloadConverter.fromPayload>[0]) => defaultPayloadConverter.fromPayload(p);

describe('unencrypted payloads', () => {
  it("the production worker's codec reads a plaintext payload as the marker, and an encrypted one as it is", async () => {
    const codec = new EncryptionCodec(keys, { unencrypted: 'mark' });
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(cancel)]);
    const [fromPlain, fromEncrypted] = await codec.decode([plain, encrypted!]);
    expect(read(fromPlain!)).toEqual(UNENCRYPTED_PAYLOAD_MARKER);
    expect(isUnencryptedPayloadMarker(read(fromPlain!))).toBe(true);
    expect(read(fromEncrypted!)).toEqual(cancel);
    // Not even a null or an empty value gets through in clear.
    const [fromNull] = await codec.decode([defaultPayloadConverter.toPayload(null)]);
    expect(read(fromNull!)).toEqual(UNENCRYPTED_PAYLOAD_MARKER);
  });

  it('elsewhere (development, clients, the codec server) plaintext is read as it is, as before', async () => {
    const [decoded] = await new EncryptionCodec(keys).decode([plain]);
    expect(read(decoded!)).toEqual(cancel);
  });

  it('the workers get the marking codec in production only', async () => {
    const decodeWith = async (production: boolean) => {
      const [codec] = workerDataConverter(keys, production).payloadCodecs!;
      return read((await codec!.decode([plain]))[0]!);
    };
    expect(await decodeWith(true)).toEqual(UNENCRYPTED_PAYLOAD_MARKER);
    expect(await decodeWith(false)).toEqual(cancel);
  });

  it('tells arguments that carry the marker from those that do not', () => {
    expect(carriesUnencryptedPayload([UNENCRYPTED_PAYLOAD_MARKER])).toBe(true);
    expect(carriesUnencryptedPayload([cancel, { __dunningUnencryptedPayload: true }])).toBe(true);
    for (const args of [
      [],
      [cancel],
      [null],
      [undefined],
      ['__dunningUnencryptedPayload'],
      [{ __dunningUnencryptedPayload: 'yes' }],
    ]) {
      expect(carriesUnencryptedPayload(args), JSON.stringify(args)).toBe(false);
    }
  });

  it('also counts a missing argument as lacking one, except where the message takes none', () => {
    expect(lacksEncryptedArgument('cancelDunning', [])).toBe(true);
    expect(lacksEncryptedArgument('dunningWorkflow', [])).toBe(true);
    expect(lacksEncryptedArgument('cancelDunning', [UNENCRYPTED_PAYLOAD_MARKER])).toBe(true);
    expect(lacksEncryptedArgument('cancelDunning', [cancel])).toBe(false);
    // A card's ledger starts empty: the service starts it so.
    expect(lacksEncryptedArgument('cardRetryBudgetWorkflow', [])).toBe(false);
    expect(lacksEncryptedArgument('cardRetryBudgetWorkflow', [UNENCRYPTED_PAYLOAD_MARKER])).toBe(true);
  });
});
