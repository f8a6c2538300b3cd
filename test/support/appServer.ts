/**
 * The HTTP app on a port of its own beside a test stack: wired with the stack's Stripe, secrets
 * and public URL, and with the parts a test swaps (a DunningClient that lags, fails or reaches a
 * dead cluster, a broken quarantine, its own metrics).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppDeps } from '../../src/http/app';
import { postSignedWebhook } from './signedWebhook';

/** What every app shares with its stack (test/temporal/support/stack.ts `Stack` has them all). */
export type AppStack = Pick<AppDeps, 'stripe' | 'webhookSecret' | 'apiToken' | 'linkSecret'> & { baseUrl: string };

export interface ServedApp {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** POSTs a Stripe event to this app's `/webhooks/stripe`, as JSON signed with the stack's secret. */
  deliver(event: object): Promise<Response>;
  /** Stops the server, dropping kept-alive connections. */
  close(): Promise<void>;
}

/** `createApp` with the stack's settings, business "Acme" and no logging, unless `deps` says otherwise. */
export async function serveApp(stack: AppStack, deps: Pick<AppDeps, 'cases'> & Partial<AppDeps>): Promise<ServedApp> {
  const app = createApp({
    stripe: stack.stripe,
    webhookSecret: stack.webhookSecret,
    apiToken: stack.apiToken,
    linkSecret: stack.linkSecret,
    publicBaseUrl: stack.baseUrl,
    businessName: 'Acme',
    log: () => undefined,
    ...deps,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    deliver: (event) => postSignedWebhook(`${base}/webhooks/stripe`, JSON.stringify(event), stack.webhookSecret),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
