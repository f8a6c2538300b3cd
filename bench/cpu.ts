/**
 * CPU time of this process's descendants (Linux /proc), by role: what a phase cost each process of
 * the stack, i.e. where the time goes when the service is slower than its floor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterLayout } from '../tools/cluster/layout';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS = 100;

interface Proc {
  pid: number;
  ppid: number;
  cpuSeconds: number;
  role: string;
}

function read(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields follow its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS, role: roleOf(cmd) };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** `temporal`, `worker`, `api`, `stripe-sandbox`, `resend-outbox`, `floor-worker`, else the program. */
function roleOf(cmd: string[]): string {
  const joined = cmd.join(' ');
  if (/temporal server start-dev|\/temporal\b.*start-dev/.test(joined)) return 'temporal';
  if (/temporal-server-v[^/]*\/server\b/.test(joined)) return 'temporal';
  if (/^postgres(:|$)|\/postgresql\/.*\/postgres\b/.test(joined)) return 'postgres';
  if (/src\/main\.ts worker/.test(joined)) return 'worker';
  if (/src\/main\.ts api/.test(joined)) return 'api';
  if (/sandbox\/main\.ts stripe/.test(joined)) return 'stripe-sandbox';
  if (/sandbox\/main\.ts resend/.test(joined)) return 'resend-outbox';
  if (/bench\/floor\/worker\.ts/.test(joined)) return 'floor-worker';
  return cmd[0]?.split('/').pop() ?? '?';
}

/**
 * The processes of `npm run cluster`, if it runs: the Temporal server and the PostgreSQL
 * postmaster (its backends are its children). They are not this process's descendants, and on
 * the cluster they are where much of the CPU goes.
 */
export function clusterRoots(): number[] {
  const layout = clusterLayout();
  const roots: number[] = [];
  try {
    const record = JSON.parse(readFileSync(layout.record, 'utf8')) as { temporal?: { pid?: number } };
    if (record.temporal?.pid) roots.push(record.temporal.pid);
  } catch {
    // not running
  }
  try {
    const postmaster = Number(readFileSync(join(layout.pgData, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (postmaster > 0) roots.push(postmaster);
  } catch {
    // not running
  }
  return roots;
}

/** CPU seconds so far of each process (by pid), with its role. */
export type CpuSnapshot = Map<number, { role: string; cpuSeconds: number }>;

/**
 * CPU seconds so far of every descendant of this process, of this process itself (`bench`), and
 * of `extraRoots` and their descendants (e.g. `clusterRoots()`), by pid: a worker restarted
 * during a phase is a new pid whose CPU counts from zero, not against its predecessor's total.
 */
export function cpuSnapshot(extraRoots: readonly number[] = []): CpuSnapshot {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => read(Number(d)))
    .filter((p): p is Proc => p !== undefined);
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const snapshot: CpuSnapshot = new Map();
  const add = (p: Proc, role = p.role) => snapshot.set(p.pid, { role, cpuSeconds: p.cpuSeconds });
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      add(c);
      walk(c.pid);
    }
  };
  const self = all.find((p) => p.pid === process.pid);
  if (self) add(self, 'bench');
  walk(process.pid);
  for (const pid of extraRoots) {
    const root = all.find((p) => p.pid === pid);
    if (!root) continue;
    add(root);
    walk(pid);
  }
  return snapshot;
}

/**
 * CPU seconds spent by role between two snapshots, largest first. A process that exited between
 * them (e.g. a worker SIGKILLed) is missing from the second: its share of the phase is not counted.
 */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): Array<[string, number]> {
  const byRole = new Map<string, number>();
  for (const [pid, { role, cpuSeconds }] of after) {
    byRole.set(role, (byRole.get(role) ?? 0) + cpuSeconds - (before.get(pid)?.cpuSeconds ?? 0));
  }
  return [...byRole].filter(([, s]) => s > 0.05).sort((a, b) => b[1] - a[1]);
}
