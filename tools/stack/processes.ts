/**
 * Child processes of the local multi-process stack: each a TypeScript entry point run by
 * `node --import tsx` (one process, no wrapper, so a signal reaches the program itself), its
 * output kept in a log file, ready when a line matches.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

/** Children still running: killed if this process exits first, so that no run leaves any behind. */
const live = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let exitHookInstalled = false;
function track(child: { kill(signal: NodeJS.Signals): boolean }): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
}

export interface ChildOptions {
  /** Shown in errors and log names, e.g. `worker-3`. */
  name: string;
  /** Entry point, relative to the repository root. */
  file: string;
  /** Node's own options before the entry point; default `--import tsx` (a built `.js` needs none). */
  nodeArgs?: string[];
  args?: string[];
  env: NodeJS.ProcessEnv;
  /** A line of stdout that says the process is ready; its match is what `ready` resolves with. */
  readyPattern: RegExp;
  logFile: string;
  readyTimeoutMs?: number;
}

export interface Child {
  name: string;
  pid: number;
  /** The ready line's match; rejects when the process exits first or takes too long. */
  ready: Promise<RegExpMatchArray>;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** The last lines of its output, for error messages. */
  tail(): string;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
}

export function startChild(o: ChildOptions): Child {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? ['--import', 'tsx']), o.file, ...(o.args ?? [])], {
    cwd: REPO_ROOT,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${o.name}: could not spawn ${o.file}`);
  track(child);
  const log = createWriteStream(o.logFile, { flags: 'a' });
  let tail = '';
  let pending = '';
  let onLine: ((line: string) => void) | undefined;
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    const text = chunk.toString();
    tail = (tail + text).slice(-4000);
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine?.(line);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false;
      live.delete(child);
      log.end();
      resolve({ code, signal });
    });
  });
  const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${o.name} not ready within ${o.readyTimeoutMs ?? 120_000} ms; its output:\n${tail}`)),
      o.readyTimeoutMs ?? 120_000,
    );
    onLine = (line) => {
      const m = o.readyPattern.exec(line);
      if (!m) return;
      clearTimeout(timer);
      onLine = undefined;
      resolve(m);
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${o.name} exited (${code ?? signal}) before it was ready; its output:\n${tail}`));
    });
  });
  ready.catch(() => undefined); // callers that never await it must not see an unhandled rejection

  const signal = (s: NodeJS.Signals) => {
    try {
      child.kill(s);
    } catch {
      // already gone
    }
  };
  return {
    name: o.name,
    pid: child.pid,
    ready,
    exited,
    running: () => alive,
    tail: () => tail,
    async stop(graceMs = 10_000) {
      if (!alive) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!alive) return;
      signal('SIGKILL');
      await exited;
    },
  };
}
