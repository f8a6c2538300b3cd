/**
 * Payloads that reach a production worker unencrypted. Every client of the service encrypts
 * (src/temporal/payloadCodec.ts), so a start, signal or Update whose payload arrives in clear was
 * sent by something else: the Temporal CLI or the Web UI without the codec, a script on the
 * cluster. In production it must have no effect, and must not make the workflow task fail (that
 * would stall the case); in development plaintext is accepted as before.
 *
 * The production worker's codec cannot refuse a payload without failing the task, so it decodes
 * one that is not encrypted into this marker instead; the workflows' inbound interceptor
 * (workflows/unencryptedInputs.ts) ignores what carries it. Only the codec produces it: a payload
 * that decodes to it without the codec would have to be encrypted with the service's key.
 */
export const UNENCRYPTED_PAYLOAD_MARKER_KEY = '__dunningUnencryptedPayload';

export type UnencryptedPayloadMarker = { readonly [UNENCRYPTED_PAYLOAD_MARKER_KEY]: true };

export const UNENCRYPTED_PAYLOAD_MARKER: UnencryptedPayloadMarker = { [UNENCRYPTED_PAYLOAD_MARKER_KEY]: true };

export function isUnencryptedPayloadMarker(value: unknown): value is UnencryptedPayloadMarker {
  return (
    typeof value === 'object' && value !== null && (value as Record<string, unknown>)[UNENCRYPTED_PAYLOAD_MARKER_KEY] === true
  );
}

/** Whether any argument of a start, signal or Update came unencrypted. */
export function carriesUnencryptedPayload(args: readonly unknown[]): boolean {
  return args.some(isUnencryptedPayloadMarker);
}

/**
 * The service's workflow types and messages that take no argument: a card's ledger starts empty.
 * Every other start, signal and Update the service sends carries one.
 */
const TAKE_NO_ARGUMENT: ReadonlySet<string> = new Set(['cardRetryBudgetWorkflow']);

/**
 * Whether a start (by workflow type), signal or Update (by name) lacks the encrypted argument the
 * service's own clients always send: one came in clear, or none came at all. Without an argument a
 * handler would throw a TypeError, which fails the workflow task and stalls the case (a start
 * without input would keep the invoice's workflow id, so that its real case never ran): in every
 * mode, since nothing but a hand-made call sends one.
 */
export function lacksEncryptedArgument(name: string, args: readonly unknown[]): boolean {
  return carriesUnencryptedPayload(args) || (args.length === 0 && !TAKE_NO_ARGUMENT.has(name));
}

/** What was ignored: a workflow's start (its type), a signal or an Update (its name). */
export type IgnoredUnencrypted = { kind: 'start' | 'signal' | 'update'; name: string };

/**
 * The workflow sink (proxySinks) through which the interceptor counts what it ignored. A sink is
 * not called when a history replays, so each ignored payload is counted once
 * (`dunning_unencrypted_payloads_ignored_total`, activities/metrics.ts).
 */
export type UnencryptedPayloadSinks = {
  unencryptedPayloads: { ignored(what: IgnoredUnencrypted): void };
};

/** The failure type of a start ignored for its unencrypted input (the run fails at once). */
export const UNENCRYPTED_START_FAILURE = 'UnencryptedStartIgnored';
/** The failure type of an Update refused for its unencrypted argument. */
export const UNENCRYPTED_UPDATE_FAILURE = 'UnencryptedUpdateRefused';
