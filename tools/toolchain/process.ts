/**
 * Small process helpers for provisioning: PATH lookup without spawning `which`, and a runner for
 * long builds that keeps talking (a silent five-minute `go install` looks exactly like a hang).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Log = (line: string) => void;

/** First executable called `name` on PATH, found with stat calls only (this is the fast path). */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function formatElapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export interface RunOptions {
  label: string;
  log: Log;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output goes here in full; the heartbeat shows only its last line. */
  logFile?: string;
  heartbeatMs?: number;
}

/**
 * Runs a command to completion, printing a heartbeat with the elapsed time and the latest output
 * line every ~15 s. Resolves with the exit code and the output tail (for error messages).
 */
export function runWithHeartbeat(command: string, args: string[], opts: RunOptions): Promise<{ code: number; tail: string }> {
  const started = Date.now();
  const file = opts.logFile ? createWriteStream(opts.logFile) : undefined;
  let tail = '';
  let lastLine = '';
  opts.log(`${opts.label}: $ ${command} ${args.join(' ')}${opts.logFile ? `  (log: ${opts.logFile})` : ''}`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      file?.write(chunk);
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      const lines = text.split('\n').filter((l) => l.trim());
      if (lines.length) lastLine = lines[lines.length - 1]!.trim();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const heartbeat = setInterval(() => {
      opts.log(
        `${opts.label}: still running, ${formatElapsed(Date.now() - started)} elapsed${lastLine ? ` (${lastLine.slice(0, 120)})` : ''}`,
      );
    }, opts.heartbeatMs ?? 15_000);
    let finished = false;
    // 'error' (e.g. ENOENT) may be followed by 'close': settle once.
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      file?.end();
      opts.log(`${opts.label}: ${code === 0 ? 'done' : `failed (exit ${code})`} after ${formatElapsed(Date.now() - started)}`);
      resolve({ code, tail });
    };
    child.on('error', (err) => {
      tail += `\n${err.message}`;
      finish(127);
    });
    child.on('close', (code) => finish(code ?? 1));
  });
}
