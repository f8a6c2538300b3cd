/**
 * The failure converter every worker, client and the workflow bundle load by path
 * (DataConverter.failureConverterPath): error messages and stack traces go into an encoded payload
 * instead of the failure's plain fields, so the payload codec encrypts them too (a Stripe error
 * message can quote the customer's email address). Also runs inside the workflow sandbox: imports
 * nothing but @temporalio/common.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
