/**
 * The activities: every piece of I/O the workflows do. Built from their dependencies so that the
 * worker, the tests and the benchmarks wire real SDK clients to whatever endpoint they choose.
 */
import type { Client } from '@temporalio/client';
import type { Resend } from 'resend';
import type Stripe from 'stripe';
import { deliverAppEvent, reportUndeliveredAppEvent, startAppEventDelivery, type AppWebhookTarget } from './appEvents';
import { blockCardVia, recordDeclineVia, reserveCardAttemptVia } from './cardBudget';
import { recordCaseEnd } from './caseEnd';
import { countCaseEvent } from './caseEvents';
import { sendDunningEmail, type EmailSettings } from './email/dunningEmail';
import { createPacer } from './email/pacer';
import { countCharge, countingEmail, countingErrors } from './metrics';
import { loadCaseFacts } from './stripe/caseFacts';
import { applyEndAction } from './stripe/endAction';
import { listSavedCards } from './stripe/otherCards';
import { applyOffer } from './stripe/applyOffer';
import { checkExpiringCard, scanExpiringCards } from './stripe/cardExpiry';
import { CARD_EXPIRING_TEMPLATE, sendCardExpiryEmail } from './email/cardExpiryEmail';
import { startCardExpiryReminder } from './cardExpiryStart';
import type { CardExpiryEmailInput, CardExpiryReminderInput, ExpiryRemindersPolicy } from '../domain/cardExpiry';
import { retryCharge } from './stripe/retryCharge';
import { sendDunningSms, type SmsSettings, type TwilioClient } from './sms/sendSms';
import type { CaseEndRecord, CaseEndStore } from '../domain/caseEndRecord';
import type { SmsInput, SmsSendResult } from '../domain/sms';
import type { NetworkRules } from '../domain/networkRules';
import type {
  AppEventInput,
  DunningEmailInput,
  EndActionInput,
  ApplyOfferInput,
  LoadCaseFactsOptions,
  RetryChargeInput,
} from '../domain/providerTypes';

export interface ActivityDeps {
  stripe: Stripe;
  temporal: Client;
  /** Task queue of the card-budget workflows (the main queue). */
  taskQueue: string;
  appWebhook?: AppWebhookTarget;
  /** The card networks' rules file, read and checked at start (src/networkRulesFile.ts): the card ledger enforces it. */
  networkRules: NetworkRules;
  /** Where each case writes its end record (experiment results): src/experiments/caseEndStores.ts. */
  caseEnds: CaseEndStore;
  /** The SMS channel (TWILIO_*); unset: off, and every sms step is recorded as `sms_off`. */
  sms?: { client: TwilioClient; settings: SmsSettings };
}

export function createActivities(deps: ActivityDeps) {
  const cardLedger = {
    reserve: reserveCardAttemptVia(deps.temporal, deps.taskQueue, deps.networkRules),
    block: blockCardVia(deps.temporal, deps.taskQueue),
    networkRules: deps.networkRules,
  };
  const recordDecline = recordDeclineVia(deps.temporal, deps.taskQueue);
  // Business metrics (activities/metrics.ts) are counted here, around the calls, per attempt.
  return {
    loadCaseFacts: async (invoiceId: string, opts?: LoadCaseFactsOptions) => {
      const facts = await countingErrors('stripe', () => loadCaseFacts(deps.stripe, invoiceId, opts));
      // Stripe's own retry declined on this card: the networks count it, so the ledger does too.
      const card = facts.lastDecline?.card;
      if (opts?.countStripeDecline && card) await recordDecline(card, opts.countStripeDecline);
      return facts;
    },
    retryCharge: async (input: RetryChargeInput) => {
      const result = await countingErrors('stripe', () => retryCharge(deps.stripe, cardLedger, input));
      countCharge(result, input.initiator);
      return result;
    },
    applyEndAction: (input: EndActionInput) => countingErrors('stripe', () => applyEndAction(deps.stripe, input)),
    /** Another saved card: the customer's consent and cards (activities/stripe/otherCards.ts). */
    listSavedCards: (customerId: string) => countingErrors('stripe', () => listSavedCards(deps.stripe, customerId)),
    applyOffer: (input: ApplyOfferInput) => countingErrors('stripe', () => applyOffer(deps.stripe, input)),
    recordCaseEnd: (record: CaseEndRecord) => recordCaseEnd(deps.caseEnds, record),
    /** One text of a case (activities/sms/sendSms.ts): consent, opt-out and number read at send time. */
    sendDunningSms: async (input: SmsInput): Promise<SmsSendResult> => {
      const sms = deps.sms;
      if (!sms) return { kind: 'skipped', reason: 'sms_off' };
      return sendDunningSms(deps.stripe, sms.client, sms.settings, input, Date.now());
    },
    startAppEventDelivery: async (event: AppEventInput) => {
      // No app to tell (APP_WEBHOOK_URL unset): a delivery workflow would only log the event as
      // undelivered, and cost the server a workflow per event (npm run bench measured it).
      if (!deps.appWebhook) {
        countCaseEvent(event);
        return { workflowId: undefined };
      }
      const delivery = await startAppEventDelivery(deps.temporal, deps.taskQueue, event);
      // Only the attempt that started it counts: a retried activity counts the case once.
      if (delivery.started) countCaseEvent(event);
      return { workflowId: delivery.workflowId };
    },
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
      return countingEmail(input.template, () =>
        countingErrors('resend', () => sendDunningEmail(resend, settings, input, Date.now())),
      );
    },
  };
}

/**
 * Reminders before a card expires (workflows/cardExpiry.ts), on the main task queue: the scheduled
 * scan, and the reminder's look at its card. A set of their own: the cases never call them.
 */
export function createCardExpiryActivities(deps: Pick<ActivityDeps, 'stripe' | 'temporal' | 'taskQueue'>) {
  return {
    scanExpiringCards: (policy: ExpiryRemindersPolicy) =>
      countingErrors('stripe', () =>
        scanExpiringCards(
          deps.stripe,
          (input) => startCardExpiryReminder(deps.temporal, deps.taskQueue, input),
          policy,
          Date.now(),
        ),
      ),
    checkExpiringCard: (input: Pick<CardExpiryReminderInput, 'subscriptionId' | 'card'>) =>
      countingErrors('stripe', () => checkExpiringCard(deps.stripe, input)),
  };
}

/** The reminder's email, on the email task queue (its rate limit covers it too). */
export function createCardExpiryEmailActivities(resend: Resend, settings: EmailSettings, ratePerSecond?: number) {
  const pace = ratePerSecond === undefined ? async () => undefined : createPacer(ratePerSecond);
  return {
    sendCardExpiryEmail: async (input: CardExpiryEmailInput) => {
      await pace();
      return countingEmail(CARD_EXPIRING_TEMPLATE, async () => ({
        ...(await countingErrors('resend', () => sendCardExpiryEmail(resend, settings, input))),
        template: CARD_EXPIRING_TEMPLATE,
      }));
    },
  };
}

export type DunningActivities = ReturnType<typeof createActivities>;
export type CardExpiryActivities = ReturnType<typeof createCardExpiryActivities>;
export type CardExpiryEmailActivities = ReturnType<typeof createCardExpiryEmailActivities>;
export type EmailActivities = ReturnType<typeof createEmailActivities>;
export type AppEventActivities = ReturnType<typeof createAppEventActivities>;
