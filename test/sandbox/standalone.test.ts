/** The sandboxes as processes of their own (sandbox/main.ts), as the chaos suite runs them. */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Resend } from 'resend';
import { describe, expect, it } from 'vitest';

async function startProcess(args: string[]): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/main.ts', ...args], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /^ready: (\S+)/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exit.then((code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      return exit;
    },
  };
}

describe('standalone sandboxes', () => {
  it('runs the Stripe sandbox on its own and stops on SIGTERM', async () => {
    const p = await startProcess(['stripe', '--port', '0', '--webhook-retry-delays', '100,200']);
    expect(p.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${p.url}/_sandbox/health`)).status).toBe(200);
    expect(await p.stop()).toBe(0);
  }, 30_000);

  it('runs the Resend outbox on its own', async () => {
    const p = await startProcess(['resend', '--port', '0']);
    expect((await fetch(`${p.url}/_outbox/messages`)).status).toBe(200);
    expect(await p.stop()).toBe(0);
  }, 30_000);

  it('the Resend outbox on its own sends signed bounce webhooks where it is told', async () => {
    const secret = `whsec_${Buffer.from('standalone outbox secret').toString('base64')}`;
    let received!: (event: unknown) => void;
    const event = new Promise<unknown>((r) => (received = r));
    // The receiver verifies as the service does, with the resend SDK.
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const h = (n: string) => String(req.headers[n]);
        const headers = { id: h('svix-id'), timestamp: h('svix-timestamp'), signature: h('svix-signature') };
        received(new Resend('re_unused').webhooks.verify({ payload: body, headers, webhookSecret: secret }));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/resend`;
    const p = await startProcess(['resend', '--port', '0', '--webhook-url', webhookUrl, '--webhook-secret', secret]);
    const resend = new Resend('re_test', { baseUrl: p.url });
    await resend.emails.send({ from: 'billing@example.com', to: 'bounced@resend.dev', subject: 'x', text: 'x' });
    expect(await event).toMatchObject({ type: 'email.bounced', data: { to: ['bounced@resend.dev'] } });
    expect(await p.stop()).toBe(0);
    server.close();
  }, 30_000);

  it('refuses an unknown sandbox with its usage', async () => {
    await expect(startProcess(['paypal'])).rejects.toThrow(/exited 2: usage/);
  }, 30_000);
});
