/**
 * Imported first by a test file that wants the Temporal SDK's Prometheus metrics: installs this
 * process's Runtime with a metrics endpoint before the stack's import installs one without
 * (the first `installRuntime` decides, src/temporal/runtime.ts).
 */
import { createLogger } from '../../../src/log';
import { installRuntime, loopbackMetricsAddress } from '../../../src/temporal/runtime';

installRuntime({ logger: createLogger({ level: 'warn' }), metricsAddress: await loopbackMetricsAddress() });
