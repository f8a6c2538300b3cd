/**
 * The failure converter every worker, client and the workflow bundle load by path
 * (DataConverter.failureConverterPath): error messages and stack traces go into an encoded payload
 * instead of the failure's plain fields, so the payload codec encrypts them too (a Stripe error
 * message can quote the customer's email address). Also runs inside the workflow sandbox: imports
 * nothing but @temporalio/common.
 *
 * Written as plain CommonJS on purpose: the SDK loads it with Node's own `require()`, which under
 * vitest has no TypeScript loader and reads a `.ts` file as JavaScript. So the same file serves
 * tsx, vitest, the workflow bundler and (compiled) dist/.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
