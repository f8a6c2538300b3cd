/**
 * Starts the reminder workflow of one due card (workflows/cardExpiry.ts), from the scan activity.
 * At most one per card and expiry, ever while it is visible: the workflow id is the card's and its
 * expiry's, a running or closed one with that id refuses the start (REJECT_DUPLICATE with the
 * conflict policy FAIL), and the reminder stays open until the card expires, so a second scan
 * during the reminder's whole window finds it and sends nothing.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  CARD_EXPIRY_REMINDER_WORKFLOW_TYPE,
  cardExpiryReminderWorkflowId,
  type CardExpiryReminderInput,
} from '../domain/cardExpiry';

/** true: started now; false: this card's reminder for this expiry exists already. */
export async function startCardExpiryReminder(
  client: Client,
  taskQueue: string,
  input: CardExpiryReminderInput,
): Promise<boolean> {
  const { card } = input;
  try {
    await client.workflow.start(CARD_EXPIRY_REMINDER_WORKFLOW_TYPE, {
      workflowId: cardExpiryReminderWorkflowId(card),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      // The Web UI's list: which card, which expiry, whose.
      staticSummary: `card ${card.brand ?? ''} ${card.last4 ?? ''} expires ${card.expYear}-${String(card.expMonth).padStart(2, '0')} · ${input.customerId}`,
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
