/**
 * The SaaS app's webhook endpoint (APP_WEBHOOK_URL) for the chaos suite: verifies each Standard
 * Webhooks signature with the `standardwebhooks` library, records what arrived, and can be down
 * (answers 500) on demand, counting how hard it is hit meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedAppEvent {
  webhookId: string;
  type: string;
  invoiceId?: string;
}

export interface AppEndpoint {
  url: string;
  secret: string;
  setDown(down: boolean): void;
  /** Accepted events (each webhook id once, however often it was delivered). */
  events(): ReceivedAppEvent[];
  /** Requests answered while down, and the most in any one second. */
  downStats(): { requests: number; maxPerSecond: number };
  /** Requests whose signature did not verify (must stay 0). */
  badSignatures(): number;
  close(): Promise<void>;
}

/** `secret`: the app's own (e.g. one a recipe generated); default a fresh one. */
export async function startAppEndpoint(secret = `whsec_${randomBytes(24).toString('base64')}`): Promise<AppEndpoint> {
  const verifier = new Webhook(secret);
  const received = new Map<string, ReceivedAppEvent>();
  let down = false;
  let downRequests = 0;
  const perSecond = new Map<number, number>();
  let bad = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (down) {
        downRequests++;
        const second = Math.floor(Date.now() / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
        res.writeHead(500).end('down for chaos');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      let event: { type?: string; data?: { invoiceId?: string } };
      try {
        event = verifier.verify(body, req.headers as Record<string, string>) as typeof event;
      } catch {
        bad++;
        res.writeHead(400).end('bad signature');
        return;
      }
      const webhookId = String(req.headers['webhook-id']);
      received.set(webhookId, { webhookId, type: String(event.type), invoiceId: event.data?.invoiceId });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/dunning-events`,
    secret,
    setDown: (d) => {
      down = d;
    },
    events: () => [...received.values()],
    downStats: () => ({ requests: downRequests, maxPerSecond: Math.max(0, ...perSecond.values()) }),
    badSignatures: () => bad,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
