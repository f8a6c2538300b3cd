/**
 * The record of the dev server we started, kept in DATA_DIR: after `kill -9` of `npm start` the
 * server it spawned (its own process group, so Ctrl-C reaches it through stop()) keeps running and
 * keeps the port and the database. The next start reads the record, recognises that server as ours
 * by its command line (a pid alone may have been reused by anything since) and stops it; a port
 * held by anything else is refused with its holder named, rather than silently attached to.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { isListening } from '../toolchain/ports';
import { commandLine, isAlive, listeningProcess } from '../toolchain/processInfo';

const recordSchema = z.object({
  pid: z.number().int().positive(),
  cliPath: z.string(),
  port: z.number().int(),
  uiPort: z.number().int().optional(),
  dbFile: z.string().optional(),
  startedAt: z.string(),
});
export type DevServerRecord = z.infer<typeof recordSchema>;

/** How long a stale server gets to shut down on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** How long to wait for its ports to be released after it is gone. */
const PORT_RELEASE_MS = 15_000;

export function writeDevServerRecord(file: string, record: DevServerRecord): void {
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

export function readDevServerRecord(file: string): DevServerRecord | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the record if it still describes `pid` (a newer start may have replaced it). */
export function removeDevServerRecord(file: string, pid: number): void {
  if (readDevServerRecord(file)?.pid === pid) rmSync(file, { force: true });
}

/** The recorded process is still the `temporal server start-dev` we spawned, on the recorded port. */
export function isRecordedServer(record: DevServerRecord): boolean {
  if (!isAlive(record.pid)) return false;
  const argv = commandLine(record.pid);
  if (!argv) return false;
  const portAt = argv.indexOf('--port');
  return argv[0] === record.cliPath && argv.includes('start-dev') && argv[portAt + 1] === String(record.port);
}

/**
 * Stops the server a previous run recorded in `file`, if it is still running: SIGTERM to its
 * process group, SIGKILL after a grace period, then waits until its ports are free. A record whose
 * process is gone or is something else now is just dropped.
 */
export async function stopRecordedDevServer(file: string, log: (line: string) => void): Promise<void> {
  const record = readDevServerRecord(file);
  if (!record) {
    rmSync(file, { force: true });
    return;
  }
  if (isRecordedServer(record)) {
    log(
      `dev server: stopping the server a previous run left behind (pid ${record.pid}, port ${record.port}, started ${record.startedAt})`,
    );
    signalGroup(record.pid, 'SIGTERM');
    if (!(await waitFor(() => !isAlive(record.pid), STOP_GRACE_MS))) {
      log(`dev server: pid ${record.pid} did not stop within ${STOP_GRACE_MS} ms, killing it`);
      signalGroup(record.pid, 'SIGKILL');
      await waitFor(() => !isAlive(record.pid), STOP_GRACE_MS);
    }
    for (const port of [record.port, record.uiPort]) {
      if (port && !(await waitFor(async () => !(await isListening(port)), PORT_RELEASE_MS))) {
        throw new Error(`the previous dev server (pid ${record.pid}) was stopped but port ${port} is still in use`);
      }
    }
  }
  rmSync(file, { force: true });
}

/** Refuses a port someone else listens on, naming the holder. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  if (!(await isListening(port))) return;
  const holder = listeningProcess(port);
  const who = holder
    ? `pid ${holder.pid}${holder.commandLine ? ` (${holder.commandLine.join(' ').slice(0, 200)})` : ''}`
    : 'a process we cannot identify';
  throw new Error(
    `port ${port} (${what}) is held by ${who}, which is not a dev server this service started. ` +
      'Stop it, choose other ports (TEMPORAL_DEV_PORT, TEMPORAL_DEV_UI_PORT), or set TEMPORAL_ADDRESS to use that server.',
  );
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  // We spawned it as a group leader (detached), so the group id is its pid.
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // no such group: try the process alone
    }
  }
}

async function waitFor(ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ok()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
