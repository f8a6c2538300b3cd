/**
 * The invoice a workflow works for, read from its id, so that every log line of a case and of its
 * activities names the invoice an operator searches for: a case is `dunning-<invoiceId>`
 * (workflowIdForInvoice) and each of its events to the app `app-event:dunning-<invoiceId>/<type>`
 * (appEventWorkflowId of the event's stable id). Other workflows (a card's ledger, a quarantined
 * event) belong to no single invoice: undefined.
 */
export function invoiceIdOfWorkflowId(workflowId: string): string | undefined {
  return /^(?:app-event:)?dunning-([^/]+)/.exec(workflowId)?.[1];
}
