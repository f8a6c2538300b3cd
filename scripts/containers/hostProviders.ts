/**
 * The Stripe sandbox and the Resend outbox (sandbox/) on the host, where the containers
 * reach them: on the host's own address (what host.containers.internal names), since loopback
 * inside a container is the container's. The Stripe sandbox delivers its signed webhooks to the
 * API's published port. Both live only as long as the run: they have no real authentication.
 */
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { startResendOutbox, type ResendOutbox } from '../../sandbox/resend';
import { startStripeSandbox, type StripeSandbox } from '../../sandbox/stripe';

export interface HostProviders {
  stripe: StripeSandbox;
  outbox: ResendOutbox;
  webhookSecret: string;
  close(): Promise<void>;
}

/** The host's first non-loopback IPv4 address: reachable from the containers' bridge network. */
export function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.88.') && !a.address.startsWith('10.89.')) {
        return a.address;
      }
    }
  }
  throw new Error('no non-loopback IPv4 address on this host for the containers to reach the sandboxes on');
}

export async function startHostProviders(apiWebhookUrl: string): Promise<HostProviders> {
  const host = hostAddress();
  const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const stripe = await startStripeSandbox({ host, webhookUrl: apiWebhookUrl, webhookSecret });
  const outbox = await startResendOutbox({ host });
  return {
    stripe,
    outbox,
    webhookSecret,
    close: async () => {
      await Promise.allSettled([stripe.close(), outbox.close()]);
    },
  };
}
