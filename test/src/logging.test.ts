/** The log format (src/log.ts) and the Temporal SDK's entries in it (src/temporal/sdkLogger.ts). */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { LogTimestamp } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { invoiceIdOfWorkflowId } from '../../domain/logAttributes';
import type { LogLevelName } from '../../src/config';
import { createLogger } from '../../src/log';
import { PinoSdkLogger } from '../../src/temporal/sdkLogger';

function capture(level: LogLevelName) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level, destination, base: { role: 'worker' } });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** What the SDK hands its logger for a failed activity attempt (worker/src/activity.ts). */
const activityFailedMeta = () => ({
  [LogTimestamp]: 1_767_225_600_123_000_000n,
  sdkComponent: 'worker',
  taskQueue: 'dunning',
  isLocal: false,
  attempt: 3,
  namespace: 'default',
  taskToken: 'CiQwMWEy'.repeat(20),
  activityId: '7',
  activityType: 'retryCharge',
  workflowId: 'dunning-in_1Abc',
  workflowRunId: '0199-run',
  workflowType: 'dunningWorkflow',
  invoiceId: 'in_1Abc',
  error: ApplicationFailure.retryable('Stripe 503: api_error', 'StripeUnavailable'),
  durationMs: 41,
});

describe('logs', () => {
  it('writes one JSON object per line with the level by name, the time and the base fields', () => {
    const { logger, parsed } = capture('info');
    logger.debug('hidden');
    logger.info({ invoiceId: 'in_1' }, 'case started');
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'info',
        role: 'worker',
        invoiceId: 'in_1',
        msg: 'case started',
        time: expect.any(String),
      }),
    ]);
  });

  it("condenses a failed activity attempt to one short line: ids, attempt, the failure's type and message", () => {
    const { logger, lines, parsed } = capture('info');
    new PinoSdkLogger(logger).warn('Activity failed', activityFailedMeta());
    expect(lines).toHaveLength(1);
    const [line] = parsed();
    expect(line).toMatchObject({
      level: 'warn',
      time: '2026-01-01T00:00:00.123Z', // the SDK's own time of the entry, not when it was flushed
      msg: 'Activity failed',
      activityType: 'retryCharge',
      attempt: 3,
      invoiceId: 'in_1Abc',
      workflowId: 'dunning-in_1Abc',
      runId: '0199-run',
      error: { type: 'StripeUnavailable', message: 'Stripe 503: api_error' },
    });
    expect(line).not.toHaveProperty('taskToken');
    expect(line).not.toHaveProperty('workflowRunId');
    expect(lines[0]!.length).toBeLessThan(500);
  });

  it('keeps the stack, as a string in the line, on error lines and with LOG_LEVEL=debug', () => {
    for (const [level, sdkLevel] of [
      ['info', 'ERROR'],
      ['debug', 'WARN'],
    ] as const) {
      const { logger, lines, parsed } = capture(level);
      new PinoSdkLogger(logger).log(sdkLevel, 'Activity failed', activityFailedMeta());
      expect(lines).toHaveLength(1);
      expect((parsed()[0]!.error as { stack: string }).stack).toMatch(/^ApplicationFailure: Stripe 503/);
    }
  });

  it('turns console calls, Node warnings and a crash of a service process into JSON lines', () => {
    const script = [
      "const { createLogger, routeConsoleTo } = require('./src/log');",
      "routeConsoleTo(createLogger({ level: 'info', pretty: false }));",
      "console.log('plain %d', 1);",
      'console.warn(JSON.stringify({ level: "warn", msg: "already json", type: "x" }));',
      "console.error('unhandled error', new Error('boom'));",
      "process.emitWarning('careful');",
      "setTimeout(() => { throw new Error('crash'); }, 10);",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'info', msg: 'plain 1' }),
        expect.objectContaining({ level: 'warn', msg: 'already json', type: 'x' }),
        expect.objectContaining({ level: 'error', msg: 'unhandled error', err: expect.objectContaining({ message: 'boom' }) }),
        expect.objectContaining({ level: 'warn', msg: 'careful' }),
        expect.objectContaining({ level: 'fatal', msg: 'uncaught exception: crash' }),
      ]),
    );
  });

  it('reads the invoice out of the workflow ids of a case and of its app events only', () => {
    expect(invoiceIdOfWorkflowId('dunning-in_1Abc')).toBe('in_1Abc');
    expect(invoiceIdOfWorkflowId('app-event:dunning-in_1Abc/dunning.recovered')).toBe('in_1Abc');
    expect(invoiceIdOfWorkflowId('card-budget:dunning:fp_1')).toBeUndefined();
    expect(invoiceIdOfWorkflowId('quarantine-evt_1')).toBeUndefined();
  });
});
