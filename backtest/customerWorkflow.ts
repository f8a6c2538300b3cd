/**
 * The simulated customer of one back-test case: a workflow on the back-test's own task queue (and
 * its own bundle; the case runs the shipped bundle), so that what the customer does later (enter a
 * new card 12 hours after an email, pay on the hosted page, the account updater's new card data)
 * happens at its simulated moment on the time-skipping server. The simulated email activity
 * schedules acts here; an activity carries each one to the case as the signal the service gets.
 */
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export interface CustomerAct {
  at: number;
  kind: 'card_update' | 'card_data_changed' | 'paid' | 'offer_accepted';
}

export const customerActSignal = defineSignal<[CustomerAct]>('customerAct');

export interface CustomerActivities {
  /** Carries the act to the case; false when the case is over (nothing more to do). */
  actOnCase(invoiceId: string, act: CustomerAct): Promise<boolean>;
}

const { actOnCase } = proxyActivities<CustomerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

export async function backtestCustomerWorkflow(invoiceId: string): Promise<void> {
  const pending: CustomerAct[] = [];
  let news = 0;
  setHandler(customerActSignal, (act) => {
    pending.push(act);
    news += 1;
  });
  for (;;) {
    await condition(() => pending.length > 0);
    pending.sort((a, b) => a.at - b.at);
    const next = pending[0]!;
    const seen = news;
    const wait = next.at - Date.now();
    if (wait > 0 && (await condition(() => news !== seen, wait))) continue;
    pending.shift();
    if (!(await actOnCase(invoiceId, next))) return;
    // Nothing more to do: end (a later act starts a new run). An open customer per case made the
    // test server slower with every batch (724 threads in its JVM after 800 cases × 3 policies).
    if (pending.length === 0) return;
  }
}
