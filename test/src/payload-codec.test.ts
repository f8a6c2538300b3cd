import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ENCRYPTED_ENCODING, EncryptionCodec, METADATA_KEY_ID } from '../../src/temporal/payloadCodec';

const key = (id: string) => ({ id, key: randomBytes(32) });
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const customer = { email: 'jane.doe@example.com', name: 'Jane Doe', amountDue: 2900 };

describe('EncryptionCodec (AES-256-GCM)', () => {
  it('round-trips a payload, metadata included; the stored form says only that it is encrypted and by which key', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const original = payload(customer);
    const [encoded] = await codec.encode([original]);
    expect(text(encoded!.metadata![METADATA_ENCODING_KEY])).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![METADATA_KEY_ID])).toBe('k1');
    expect(Object.keys(encoded!.metadata!).sort()).toEqual([METADATA_KEY_ID, METADATA_ENCODING_KEY].sort());
    expect(text(encoded!.data)).not.toContain('jane.doe');
    expect(text(encoded!.data)).not.toContain('Jane Doe');
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(customer);
    expect(text(decoded!.metadata![METADATA_ENCODING_KEY])).toBe('json/plain');
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const [a, b] = await codec.encode([payload('x'), payload('x')]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('rotation: the first key encrypts, an older key still decrypts what it wrote', async () => {
    const old = key('2025-01');
    const fresh = key('2026-11');
    const [before] = await new EncryptionCodec([old]).encode([payload(customer)]);
    const rotated = new EncryptionCodec([fresh, old]);
    const [after] = await rotated.encode([payload(customer)]);
    expect(text(after!.metadata![METADATA_KEY_ID])).toBe('2026-11');
    const decoded = await rotated.decode([before!, after!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([customer, customer]);
  });

  it('names an unknown key id clearly', async () => {
    const [encoded] = await new EncryptionCodec([key('gone')]).encode([payload(1)]);
    await expect(new EncryptionCodec([key('k2')]).decode([encoded!])).rejects.toThrow(
      /key id 'gone', which is not in PAYLOAD_ENCRYPTION_KEYS \(known: k2\)/,
    );
  });

  it('refuses tampered ciphertext, a relabelled key id and a wrong key under the right id', async () => {
    const k = key('k1');
    const codec = new EncryptionCodec([k]);
    const [encoded] = await codec.encode([payload(customer)]);
    const flipped = Buffer.from(encoded!.data!);
    flipped[20] = flipped[20]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data: flipped }])).rejects.toThrow(/authentication failed/);

    const both = new EncryptionCodec([k, { id: 'k0', key: k.key }]);
    const relabelled: Payload = { ...encoded!, metadata: { ...encoded!.metadata, [METADATA_KEY_ID]: Buffer.from('k0') } };
    await expect(both.decode([relabelled])).rejects.toThrow(/authentication failed/);

    await expect(new EncryptionCodec([key('k1')]).decode([encoded!])).rejects.toThrow(/authentication failed/);
    await expect(codec.decode([{ ...encoded!, data: Buffer.alloc(5) }])).rejects.toThrow(/too short/);
  });

  it('passes unencrypted payloads through decode: histories written before encryption still read', async () => {
    const codec = new EncryptionCodec([key('k1')]);
    const plain = payload(customer);
    const empty: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('binary/null') } };
    expect(await codec.decode([plain, empty])).toEqual([plain, empty]);
  });

  it('needs at least one 32-byte key', () => {
    expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
    expect(() => new EncryptionCodec([{ id: 'short', key: randomBytes(16) }])).toThrow(/16 bytes, AES-256 needs 32/);
  });
});
