/**
 * Each workflow type's versioning behaviour (Worker Deployment Versioning, docs/releases.md): what
 * a running execution does when a new build of the workers becomes current. Declared here, beside
 * the list of workflow types (workflows/index.ts imports this file), so that the reasons sit
 * together; test/versioning/behaviours.test.ts fails when a workflow type has none.
 *
 * PINNED: the execution finishes on the build it started on; its code may change freely in the
 * next build, but that build's workers must keep running until the last such execution ends
 * (a rainbow deployment: old and new builds side by side, the old retired once drained).
 * AUTO_UPGRADE: the execution moves to the current build at its next workflow task; the new code
 * must replay its history (test/workflows/replay.test.ts), or change behind a dated patch
 * (workflows/patchDates.ts).
 *
 * Every deployment this service documents replaces its workers in place (docker-compose.yml's one
 * worker service, replicas of one image, `npm start`): none keeps an old build running. A pinned
 * execution would be stranded on a build nobody polls for. So every type here auto-upgrades, each
 * for its own reason below as well; test/temporal/worker-versioning.test.ts shows both behaviours
 * on the real server, for whoever runs rainbow deployments and pins a type.
 */
import { setWorkflowOptions } from '@temporalio/workflow';
import { appEventDeliveryWorkflow } from './appEventDelivery';
import { cardRetryBudgetWorkflow } from './cardBudget';
import { cardExpiryReminderWorkflow, cardExpiryScanWorkflow } from './cardExpiry';
import { dunningWorkflow } from './dunning';
import { quarantinedStripeEvent } from './quarantine';

// A case lives for weeks (the policy's endAfter, 14 days by default, then its end action). Pinned,
// every release would keep its build's workers up until the last case started on it ends: with a
// release a week, three or four builds side by side, each fixing bugs only for new cases.
// Temporal's guidance for workflows that outlive the release cadence is auto-upgrade with
// patching (docs.temporal.io/worker-versioning#versioning-behaviors); the replay test and the
// dated-patch rule keep that safe.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, dunningWorkflow);

// A card's ledger runs as long as any reattempt is inside the networks' 30-day window, continuing
// as new: it never ends on a schedule a drain could wait for.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, cardRetryBudgetWorkflow);

// A quarantined event waits, without a timeout, for an operator's decision: pinned, it could hold
// an old build forever.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, quarantinedStripeEvent);

// One delivery to the app: seconds when the app answers, up to its 3-day window when it does not.
// Short enough to pin under rainbow deployments, but pinned here it would be stranded by the
// in-place upgrade (above) while it retries, and the app would miss an access.restricted or
// access.restored. Its code is one activity call, which the replay test covers.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, appEventDeliveryWorkflow);

// A scan runs for minutes; a reminder waits until its card expires (at most the policy's daysBefore,
// 60 days), reading the card again now and then. Pinned, either would be stranded by the in-place
// upgrade; each is a few activities and timers, which the replay test covers.
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, cardExpiryScanWorkflow);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, cardExpiryReminderWorkflow);
