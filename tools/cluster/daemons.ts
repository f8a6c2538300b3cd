/**
 * The cluster's long-running processes other than PostgreSQL (which keeps its own postmaster.pid):
 * the Temporal server and the Web UI, started detached so that they outlive `npm run cluster`,
 * and remembered in the cluster's record file, so that a later run finds them (and says so)
 * instead of starting a second set, and `npm run cluster -- stop` can stop them.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { commandLine, isAlive } from '../toolchain/processInfo';

const daemonSchema = z.object({ pid: z.number().int().positive(), binary: z.string(), startedAt: z.string() });
const recordSchema = z.object({ temporal: daemonSchema.optional(), ui: daemonSchema.optional() });
export type Daemon = z.infer<typeof daemonSchema>;
export type DaemonName = keyof z.infer<typeof recordSchema>;

function readRecord(file: string): z.infer<typeof recordSchema> {
  if (!existsSync(file)) return {};
  const parsed = recordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.success ? parsed.data : {};
}

function writeRecord(file: string, name: DaemonName, daemon: Daemon | undefined): void {
  const record = { ...readRecord(file), [name]: daemon };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * The recorded process, when it still runs the recorded binary (after a reboot the pid may belong
 * to something else, which must never be stopped in its place).
 */
export function runningDaemon(file: string, name: DaemonName): Daemon | undefined {
  const daemon = readRecord(file)[name];
  if (!daemon || !isAlive(daemon.pid)) return undefined;
  return commandLine(daemon.pid)?.[0] === daemon.binary ? daemon : undefined;
}

export function startDaemon(
  file: string,
  name: DaemonName,
  o: { binary: string; args: string[]; cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
): Daemon {
  const out = openSync(o.logFile, 'a');
  try {
    // Its own session and no pipes to us: it keeps running when this process exits.
    const child = spawn(o.binary, o.args, { cwd: o.cwd, env: o.env ?? process.env, detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new Error(`${name}: could not start ${o.binary}`);
    child.unref();
    const daemon = { pid: child.pid, binary: o.binary, startedAt: new Date().toISOString() };
    writeRecord(file, name, daemon);
    return daemon;
  } finally {
    closeSync(out);
  }
}

/** SIGTERM, SIGKILL after `graceMs`; true when it had been running. */
export async function stopDaemon(file: string, name: DaemonName, graceMs = 15_000): Promise<boolean> {
  const daemon = runningDaemon(file, name);
  if (daemon) {
    process.kill(daemon.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(daemon.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (isAlive(daemon.pid)) process.kill(daemon.pid, 'SIGKILL');
  }
  writeRecord(file, name, undefined);
  return !!daemon;
}
