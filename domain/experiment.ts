/**
 * Policy experiments with a holdout: which arm a customer is in. An experiment is data (the file
 * named by DUNNING_EXPERIMENT, read at the edge: src/experimentFile.ts); this module only decides
 * the arm, from a hash of the experiment id and the customer id, so a customer stays in one arm
 * across invoices and restarts, and every process (API, worker, a second API) agrees without
 * sharing any state. Pure and deterministic, no Node API: it may be imported anywhere, workflow
 * code included (though the arm is chosen where the case is started, src/dunningClient.ts).
 */

/** The arm that runs the merchant's baseline policy (DUNNING_POLICY): what the others are compared with. */
export const HOLDOUT_ARM = 'holdout';

/** Arm names: safe in a search attribute, a Prometheus label and a URL without escaping. */
export const ARM_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** What a case records about its experiment: on the case (status, search attributes) and in its end record. */
export interface ExperimentArm {
  experimentId: string;
  arm: string;
}

/** The statistical settings of an experiment's results (domain/experimentStats.ts). */
export interface ExperimentSettings {
  /** The smallest difference in recovery rate (absolute, 0.05 = 5 points) the experiment must be able to show. */
  minimumEffect: number;
  /** Significance level of the two-sided test (0.05). */
  alpha: number;
  /** Probability of showing `minimumEffect` when it is there (0.8). */
  power: number;
  /**
   * The arms and weights the experiment started with (assignmentKey), kept with its settings: the
   * same id with another split would move customers between arms (see assignmentChange).
   */
  assignment?: string;
}

export const DEFAULT_EXPERIMENT_SETTINGS: ExperimentSettings = { minimumEffect: 0.05, alpha: 0.05, power: 0.8 };

/** The arms and their weights; the holdout is one of them, named HOLDOUT_ARM. */
export interface ExperimentPlan {
  id: string;
  arms: ReadonlyArray<{ name: string; weight: number }>;
}

/**
 * 32-bit FNV-1a over the UTF-16 code units, then murmur3's finalizer so that ids differing in
 * their last characters (cus_…1, cus_…2) still spread over the whole range. Not cryptographic:
 * nobody gains by choosing their arm, and it must be the same in every runtime.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The customer's place in [0, 1) for this experiment. Salted with the experiment id: a new
 * experiment draws its arms afresh, so one holdout is not the same customers forever.
 */
export function customerBucket(experimentId: string, customerId: string): number {
  return hash32(`${experimentId}\u0000${customerId}`) / 2 ** 32;
}

/** The arm of `customerId`: arms take consecutive slices of [0, 1) in their order, sized by weight. */
export function assignArm(plan: ExperimentPlan, customerId: string): ExperimentArm {
  const total = plan.arms.reduce((s, a) => s + a.weight, 0);
  if (!(total > 0)) throw new Error(`experiment ${plan.id}: the weights add up to ${total}`);
  const point = customerBucket(plan.id, customerId) * total;
  let upTo = 0;
  for (const arm of plan.arms) {
    upTo += arm.weight;
    if (point < upTo) return { experimentId: plan.id, arm: arm.name };
  }
  // Rounding at the very top of the range: the last arm.
  return { experimentId: plan.id, arm: plan.arms[plan.arms.length - 1]!.name };
}

/** The arms and weights in their order: what decides each customer's arm (assignArm). */
export const assignmentKey = (plan: ExperimentPlan): string => plan.arms.map((a) => `${a.name}:${a.weight}`).join(',');

/**
 * Why this plan may not run under its id: the id already ran with other arms or weights. Arms are
 * consecutive slices sized by weight, so another split moves some customers to another arm, and
 * their next invoices would follow another policy, mixing the arms' results. A changed plan is a
 * new experiment: a new id. Undefined when the plan is the one saved, or none is.
 */
export function assignmentChange(plan: ExperimentPlan, saved: string | undefined): string | undefined {
  const now = assignmentKey(plan);
  if (saved === undefined || saved === now) return undefined;
  return (
    `experiment ${plan.id} started with arms ${saved}, and is now ${now}: customers would change arms. ` +
    'Give the changed experiment a new id (its results stay apart), or restore the file.'
  );
}
