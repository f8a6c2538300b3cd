/**
 * The worker's own metrics (the API's are in src/metrics.ts). A registry of its own, so that
 * several workers in one test process, or a worker beside the API in `npm start`, never collide.
 */
import { Counter, Registry } from 'prom-client';

export const workerRegistry = new Registry();

export const appEventsUndelivered = new Counter({
  name: 'dunning_app_events_undelivered_total',
  help: 'Events to the SaaS app given up on after their delivery window (about three days), by event type',
  labelNames: ['type'],
  registers: [workerRegistry],
});
