/**
 * The experiments' results on `/metrics`, read at scrape time (at most once a minute: each reading
 * queries the end records and visibility). Labels are the experiment id and the arm: a handful.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ExperimentReport } from '../../domain/experimentResults';

type Labels = 'experiment' | 'arm';

export function experimentGauges(
  registry: Registry,
  read: () => Promise<ExperimentReport[]>,
  every: (read: () => Promise<void>) => () => Promise<void>,
): void {
  const refresh = every(async () => {
    const reports = await read();
    for (const g of [cases, open, recovered, rate, low, high, pValue, charges, emails, amount, undersized]) g.reset();
    for (const x of reports) {
      for (const a of x.arms) {
        const l = { experiment: x.experimentId, arm: a.arm };
        cases.set(l, a.cases);
        if (a.open !== undefined) open.set(l, a.open);
        recovered.set(l, a.recovered);
        if (a.rate !== undefined) rate.set(l, a.rate);
        if (a.interval) {
          low.set(l, a.interval.low);
          high.set(l, a.interval.high);
        }
        if (a.vsHoldout) pValue.set(l, a.vsHoldout.pValue);
        if (a.chargesPerCase !== undefined) charges.set(l, a.chargesPerCase);
        if (a.emailsPerCase !== undefined) emails.set(l, a.emailsPerCase);
        for (const [currency, v] of Object.entries(a.recoveredAmount)) amount.set({ ...l, currency }, v);
        undersized.set(l, a.cases < x.neededPerArm ? 1 : 0);
      }
    }
  });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect?: () => Promise<void>) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry], ...(collect ? { collect } : {}) });
  const labels = ['experiment', 'arm'] as const;
  // One gauge reads for all: prom-client collects each gauge, and `every` reads at most once a minute.
  const cases = gauge<Labels>('dunning_experiment_cases', 'Ended cases of each experiment arm (end records)', labels, refresh);
  const open = gauge<Labels>(
    'dunning_experiment_open_cases',
    'Open cases of each experiment arm (visibility count)',
    labels,
    refresh,
  );
  const recovered = gauge<Labels>('dunning_experiment_recovered', 'Recovered cases of each experiment arm', labels, refresh);
  const rate = gauge<Labels>(
    'dunning_experiment_recovery_rate',
    'Recovered / ended cases of each experiment arm',
    labels,
    refresh,
  );
  const low = gauge<Labels>(
    'dunning_experiment_recovery_rate_low',
    'Low end of the 95% Wilson interval of the rate',
    labels,
    refresh,
  );
  const high = gauge<Labels>(
    'dunning_experiment_recovery_rate_high',
    'High end of the 95% Wilson interval of the rate',
    labels,
    refresh,
  );
  const pValue = gauge<Labels>(
    'dunning_experiment_p_value',
    'Two-sided two-proportion z-test p-value of the arm against the holdout',
    labels,
    refresh,
  );
  const charges = gauge<Labels>('dunning_experiment_charges_per_case', 'Charges per ended case of each arm', labels, refresh);
  const emails = gauge<Labels>('dunning_experiment_emails_per_case', 'Emails per ended case of each arm', labels, refresh);
  const amount = gauge<Labels | 'currency'>(
    'dunning_experiment_recovered_amount_minor_units',
    'Amount recovered by each arm, by currency, in minor units',
    [...labels, 'currency'],
    refresh,
  );
  const undersized = gauge<Labels>(
    'dunning_experiment_sample_too_small',
    '1 while the arm has fewer ended cases than the power calculation needs for the minimum effect',
    labels,
    refresh,
  );
}
