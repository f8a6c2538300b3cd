/**
 * AES-256-GCM payload codec (after temporalio/samples-typescript `encryption/`): every payload the
 * service hands Temporal (inputs, results, signals, queries, updates, memo, summaries, encoded
 * failure messages) is stored encrypted, so the customer's name and email address never sit in
 * Temporal's database in clear text.
 *
 * The whole payload (its metadata included) is encrypted; the outer payload says only
 * `binary/encrypted` and which key did it. Several keys can decrypt, one encrypts: rotating is
 * putting a new key first, and keeping the old ones as long as histories written with them are
 * retained.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { UNENCRYPTED_PAYLOAD_MARKER } from '../../domain/unencryptedPayloads';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/**
 * A payload this codec cannot decrypt: its key id is not configured (removed too early), or the
 * key does not authenticate it. Its own class so the edge can tell it from other failures and
 * answer clearly (docs/production/key-rotation.md) instead of a bare 500.
 */
export class UndecryptablePayloadError extends ValueError {
  constructor(
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/** Whether `err`, or what caused it, is a payload the codec could not decrypt (also through a worker's failure message). */
export function isUndecryptable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof UndecryptablePayloadError || UNDECRYPTABLE_MESSAGE.test(e.message)) return true;
  }
  return false;
}
const UNDECRYPTABLE_MESSAGE = /not in PAYLOAD_ENCRYPTION_KEYS|cannot decrypt payload with key/;

export interface EncryptionKey {
  id: string;
  /** 32 bytes of key material. */
  key: Buffer;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * What decoding does with a payload that is not encrypted: `accept` it as it is (development, the
 * clients, the codec server that shows the Web UI what is there), or `mark` it (the production
 * worker): decode it into the marker the workflows ignore (domain/unencryptedPayloads.ts), since
 * throwing here would fail the workflow task and stall the case.
 */
export type UnencryptedPayloads = 'accept' | 'mark';

/** JSON as the default payload converter writes it, so that the workflow reads the marker as a value. */
const MARKER_PAYLOAD: Payload = {
  metadata: { [METADATA_ENCODING_KEY]: utf8('json/plain') },
  data: utf8(JSON.stringify(UNENCRYPTED_PAYLOAD_MARKER)),
};

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, Buffer>;
  private readonly current: EncryptionKey;
  private readonly unencrypted: UnencryptedPayloads;

  /** `keys[0]` encrypts; every key decrypts. */
  constructor(keys: readonly EncryptionKey[], opts: { unencrypted?: UnencryptedPayloads } = {}) {
    this.unencrypted = opts.unencrypted ?? 'accept';
    const [first] = keys;
    if (!first) throw new ValueError('the payload codec needs at least one key');
    for (const k of keys) {
      if (k.key.length !== KEY_BYTES) throw new ValueError(`key ${k.id}: ${k.key.length} bytes, AES-256 needs ${KEY_BYTES}`);
    }
    this.current = first;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
      // The key id is authenticated too: a payload relabelled with another key id fails to decrypt.
      cipher.setAAD(utf8(this.current.id));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [METADATA_KEY_ID]: utf8(this.current.id) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Written before encryption was turned on (or by a client without it): readable as it is,
      // unless this is the production worker, which must not act on it.
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) {
        return this.unencrypted === 'mark' ? { metadata: { ...MARKER_PAYLOAD.metadata }, data: MARKER_PAYLOAD.data } : payload;
      }
      const keyId = text(payload.metadata?.[METADATA_KEY_ID]);
      if (!keyId)
        throw new UndecryptablePayloadError('encrypted payload without an encryption-key-id: cannot tell which key to use');
      const key = this.byId.get(keyId);
      if (!key) {
        throw new UndecryptablePayloadError(
          `payload encrypted with key id '${keyId}', which is not in PAYLOAD_ENCRYPTION_KEYS (known: ${[...this.byId.keys()].join(', ')}); keep old keys after a rotation`,
          keyId,
        );
      }
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError(`encrypted payload (key '${keyId}') is too short`);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(utf8(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new UndecryptablePayloadError(
          `cannot decrypt payload with key '${keyId}': authentication failed (wrong key or tampered data)`,
          keyId,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
