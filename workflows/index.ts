// The workflows this worker runs (the bundle entry point). Deterministic code only.
export { dunningWorkflow } from './dunning';
export { cardRetryBudgetWorkflow } from './cardBudget';
export { appEventDeliveryWorkflow } from './appEventDelivery';
export { quarantinedStripeEvent } from './quarantine';
export { cardExpiryReminderWorkflow, cardExpiryScanWorkflow } from './cardExpiry';
// Each type's versioning behaviour (PINNED or AUTO_UPGRADE), with the reasons.
import './versioning';
