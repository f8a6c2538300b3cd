/**
 * The one place the Stripe API version is pinned. Webhook payloads, error shapes and the fields we
 * read (`invoice.parent.subscription_details`, `invoicePayments`) follow this version; change it
 * only together with the sandbox (sandbox/stripe) and the tests. In domain/, the bottom layer, so
 * that the service and the sandbox that plays Stripe both take it from below.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' as const;
