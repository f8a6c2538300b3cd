/**
 * The service's logs: one JSON object per line (pino; error and fatal lines on stderr, the rest on
 * stdout), so that a collector reads every process (API, worker, the Temporal SDK inside it)
 * without a parser per source. A terminal gets them pretty-printed (pino-pretty), which is what
 * `npm start` by hand wants; a pipe or a file always gets JSON.
 */
import { format } from 'node:util';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import type { LogLevelName } from './config';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: LogLevelName;
  /** Fields on every line, e.g. `{ role: 'worker' }`. */
  base?: Record<string, unknown>;
  /** Pretty-print (pino-pretty); default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

/**
 * A line's time when it is not now: the Temporal SDK holds its log entries for about 100 ms to
 * sort them and hands each over with the time it happened (see `withTime`).
 */
let timeOverrideMs: number | undefined;

export function createLogger(o: LoggerOptions): Logger {
  const pretty = o.pretty ?? (o.destination === undefined && process.stdout.isTTY === true);
  const options: pino.LoggerOptions = {
    level: o.level,
    base: { pid: process.pid, ...o.base },
    timestamp: () => `,"time":"${new Date(timeOverrideMs ?? Date.now()).toISOString()}"`,
    // Level names, not numbers: `"level":"warn"` reads the same in a terminal, grep and a collector.
    // pino-pretty wants the numbers, so only for JSON.
    formatters: pretty ? undefined : { level: (label) => ({ level: label }) },
  };
  if (o.destination) return pino(options, o.destination);
  if (pretty) {
    // Loaded only here: a service in production (no terminal) never needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prettyStream = require('pino-pretty') as typeof import('pino-pretty');
    return pino(options, prettyStream({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }));
  }
  // Errors on stderr, the rest on stdout (dedupe: each line to one stream only), as a shell or a
  // supervisor expects. Synchronous writes: the lines before a crash or process.exit() are not lost.
  const streams = pino.multistream(
    [
      { level: 'trace', stream: pino.destination({ fd: 1, sync: true }) },
      { level: 'error', stream: pino.destination({ fd: 2, sync: true }) },
    ],
    { dedupe: true },
  );
  return pino(options, streams);
}

/** Emits with `atMs` as the line's time (synchronous: nothing else logs in between). */
export function withTime(atMs: number | undefined, emit: () => void): void {
  timeOverrideMs = atMs;
  try {
    emit();
  } finally {
    timeOverrideMs = undefined;
  }
}

const CONSOLE_LEVELS: Record<'log' | 'info' | 'warn' | 'error' | 'debug', Level> = {
  log: 'info',
  info: 'info',
  warn: 'warn',
  error: 'error',
  debug: 'debug',
};

/**
 * The safety net of a service process: whatever still writes to `console` (a library, an error
 * handler, an old call site) becomes one JSON line too, an Error as pino's `err` (its stack a
 * string, not lines); a line that is already a JSON object keeps its fields. Node's own warnings
 * and a crash's error go the same way instead of their multi-line defaults.
 */
export function routeConsoleTo(logger: Logger): void {
  for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
    (console as unknown as Record<string, (...args: unknown[]) => void>)[method] = (...args: unknown[]) =>
      logConsoleCall(logger, level, args);
  }
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn({ err: warning }, warning.message));
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, `uncaught exception: ${err.message}`);
    process.exit(1);
  });
}

function logConsoleCall(logger: Logger, level: Level, args: unknown[]): void {
  const json = args.length === 1 && typeof args[0] === 'string' ? jsonObject(args[0]) : undefined;
  if (json) {
    const { msg, level: ownLevel, time: _time, ...fields } = json;
    const chosen = typeof ownLevel === 'string' && ownLevel in CONSOLE_LEVELS_BY_NAME ? (ownLevel as Level) : level;
    logger[chosen](fields, typeof msg === 'string' ? msg : '');
    return;
  }
  const err = args.find((a): a is Error => a instanceof Error);
  const rest = args.filter((a) => a !== err);
  const msg = rest.length ? format(...rest) : (err?.message ?? '');
  if (err) logger[level]({ err }, msg);
  else logger[level](msg);
}

const CONSOLE_LEVELS_BY_NAME = { fatal: 1, error: 1, warn: 1, info: 1, debug: 1, trace: 1 };

function jsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
