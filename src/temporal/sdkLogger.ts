/**
 * The Temporal SDK's logger (`Runtime.install({ logger })`) written into pino: the worker's own
 * lines, workflow and activity `log` calls and, forwarded, the Rust core's. Each entry becomes one
 * JSON line; SDK objects are reduced to fields. A failed activity attempt is one short line (its
 * type, attempt, error type and message, invoice, workflow and run), not its stack: the failure
 * with its stack is in the workflow's history, and a retried activity would otherwise write one
 * stack per attempt. Stacks stay on error-level lines and with LOG_LEVEL=debug.
 */
import { LogTimestamp, type LogLevel, type LogMetadata, type Logger as SdkLogger } from '@temporalio/worker';
import type { Level } from 'pino';
import { withTime, type Logger } from '../log';

const LEVELS: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/** Metadata that only adds noise to a line: base64 of ids the line carries anyway. */
const DROPPED = new Set(['taskToken']);

export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly logger: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const to = LEVELS[level] ?? 'info';
    if (!this.logger.isLevelEnabled(to)) return;
    const stacks = to === 'error' || this.logger.isLevelEnabled('debug');
    const nanos = meta?.[LogTimestamp] as bigint | undefined;
    withTime(nanos === undefined ? undefined : Number(nanos / 1_000_000n), () =>
      this.logger[to](sdkFields(meta, stacks), message),
    );
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * An entry's metadata as fields of its line. Symbol keys (the SDK's timestamp) are left out;
 * activities name their run `workflowRunId` and workflows `runId`: one name, `runId`, for both.
 */
export function sdkFields(meta: LogMetadata | undefined, stacks: boolean): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (value === undefined || DROPPED.has(key)) continue;
    if (key === 'workflowRunId') fields.runId ??= value;
    else fields[key] = condense(value, stacks);
  }
  return fields;
}

function condense(value: unknown, stacks: boolean): unknown {
  if (value instanceof Error) return errorFields(value, stacks);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * An error as a few fields: an ApplicationFailure's `type` (`StripeUnavailable`, `ResendRateLimited`)
 * says more than its class, `nonRetryable` says the attempt was the last, the cause's message why.
 */
export function errorFields(err: Error, stacks: boolean): Record<string, unknown> {
  const e = err as Error & { type?: string | null; nonRetryable?: boolean };
  const fields: Record<string, unknown> = { type: e.type || err.name, message: err.message };
  if (e.nonRetryable) fields.nonRetryable = true;
  if (err.cause instanceof Error) fields.cause = `${err.cause.name}: ${err.cause.message}`;
  if (stacks && err.stack) fields.stack = err.stack;
  return fields;
}
