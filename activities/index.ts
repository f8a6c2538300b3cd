/**
 * The activities: every piece of I/O the workflows do. Built from their dependencies so that the
 * worker, the tests and the benchmarks wire real SDK clients to whatever endpoint they choose.
 */
import type { Client } from '@temporalio/client';
import type { Resend } from 'resend';
import type Stripe from 'stripe';
import { deliverAppEvent, reportUndeliveredAppEvent, startAppEventDelivery, type AppWebhookTarget } from './appEvents';
import { blockCardVia, reserveCardAttemptVia } from './cardBudget';
import { sendDunningEmail, type EmailSettings } from './email/dunningEmail';
import { createPacer } from './email/pacer';
import { loadCaseFacts } from './stripe/caseFacts';
import { applyEndAction } from './stripe/endAction';
import { retryCharge } from './stripe/retryCharge';
import type { AppEventInput, DunningEmailInput, EndActionInput, RetryChargeInput } from '../domain/providerTypes';

export interface ActivityDeps {
  stripe: Stripe;
  temporal: Client;
  /** Task queue of the card-budget workflows (the main queue). */
  taskQueue: string;
  appWebhook?: AppWebhookTarget;
}

export function createActivities(deps: ActivityDeps) {
  const cardLedger = {
    reserve: reserveCardAttemptVia(deps.temporal, deps.taskQueue),
    block: blockCardVia(deps.temporal, deps.taskQueue),
  };
  return {
    loadCaseFacts: (invoiceId: string) => loadCaseFacts(deps.stripe, invoiceId),
    retryCharge: (input: RetryChargeInput) => retryCharge(deps.stripe, cardLedger, input),
    applyEndAction: (input: EndActionInput) => applyEndAction(deps.stripe, input),
    startAppEventDelivery: (event: AppEventInput) => startAppEventDelivery(deps.temporal, deps.taskQueue, event),
    /** Cases started before events were delivered on their own still call this (replay). */
    emitAppEvent: (event: AppEventInput) => deliverAppEvent(deps.appWebhook, event),
  };
}

/** Delivery of events to the SaaS app, on the app-events task queue (workflows/appEventDelivery.ts). */
export function createAppEventActivities(target: AppWebhookTarget | undefined) {
  return {
    deliverAppEvent: (event: AppEventInput) => deliverAppEvent(target, event),
    reportUndeliveredAppEvent: async (undelivered: { type: string; id: string; error: string }) =>
      reportUndeliveredAppEvent(undelivered),
  };
}

/** `ratePerSecond`: pace this worker's sends (see email/pacer.ts); unset: no pacing (tests). */
export function createEmailActivities(resend: Resend, settings: EmailSettings, ratePerSecond?: number) {
  const pace = ratePerSecond === undefined ? async () => undefined : createPacer(ratePerSecond);
  return {
    sendDunningEmail: async (input: DunningEmailInput) => {
      await pace();
      return sendDunningEmail(resend, settings, input, Date.now());
    },
  };
}

export type DunningActivities = ReturnType<typeof createActivities>;
export type EmailActivities = ReturnType<typeof createEmailActivities>;
export type AppEventActivities = ReturnType<typeof createAppEventActivities>;
