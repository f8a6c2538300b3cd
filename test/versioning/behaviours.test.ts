/**
 * Every workflow type the worker registers declares its versioning behaviour
 * (workflows/versioning.ts): a type without one would take the worker's default silently, and
 * whether a running execution moves to a new build is a choice to make on purpose.
 */
import { describe, expect, it } from 'vitest';
import * as workflows from '../../workflows';

type Declared = { workflowDefinitionOptions?: { versioningBehavior?: string } | (() => { versioningBehavior?: string }) };

function behaviourOf(fn: unknown): string | undefined {
  const options = (fn as Declared).workflowDefinitionOptions;
  return (typeof options === 'function' ? options() : options)?.versioningBehavior;
}

describe('workflow versioning behaviours', () => {
  it('every registered workflow type declares PINNED or AUTO_UPGRADE', () => {
    const types = Object.entries(workflows).filter(([, v]) => typeof v === 'function');
    expect(types.length).toBeGreaterThan(0);
    const undeclared = types.filter(([, fn]) => !['PINNED', 'AUTO_UPGRADE'].includes(behaviourOf(fn) ?? '')).map(([n]) => n);
    expect(undeclared, 'declare them in workflows/versioning.ts').toEqual([]);
  });

  it('every type auto-upgrades: the documented deployments replace workers in place, and a pinned execution would be stranded', () => {
    // Pinning a type needs old builds kept running until drained (docs/releases.md): say so there first.
    expect(Object.fromEntries(Object.entries(workflows).map(([n, fn]) => [n, behaviourOf(fn)]))).toEqual({
      dunningWorkflow: 'AUTO_UPGRADE',
      cardRetryBudgetWorkflow: 'AUTO_UPGRADE',
      appEventDeliveryWorkflow: 'AUTO_UPGRADE',
      quarantinedStripeEvent: 'AUTO_UPGRADE',
      cardExpiryScanWorkflow: 'AUTO_UPGRADE',
      cardExpiryReminderWorkflow: 'AUTO_UPGRADE',
    });
  });
});
