/** The sandboxes as processes of their own (src/dev/sandbox/main.ts), as the chaos suite runs them. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

async function startProcess(args: string[]): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/dev/sandbox/main.ts', ...args], {
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

  it('refuses an unknown sandbox with its usage', async () => {
    await expect(startProcess(['paypal'])).rejects.toThrow(/exited 2: usage/);
  }, 30_000);
});
