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

  it('the weeks-long case auto-upgrades; the bounded app-event delivery stays on its build', () => {
    expect(behaviourOf(workflows.dunningWorkflow)).toBe('AUTO_UPGRADE');
    expect(behaviourOf(workflows.appEventDeliveryWorkflow)).toBe('PINNED');
  });
});
