/**
 * CPU time of this process's descendants (Linux /proc), by role: what a phase cost each process of
 * the stack, i.e. where the time goes when the service is slower than its floor.
 */
import { readdirSync, readFileSync } from 'node:fs';

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
  if (/src\/main\.ts worker/.test(joined)) return 'worker';
  if (/src\/main\.ts api/.test(joined)) return 'api';
  if (/sandbox\/main\.ts stripe/.test(joined)) return 'stripe-sandbox';
  if (/sandbox\/main\.ts resend/.test(joined)) return 'resend-outbox';
  if (/bench\/floor\/worker\.ts/.test(joined)) return 'floor-worker';
  return cmd[0]?.split('/').pop() ?? '?';
}

/** CPU seconds by role of every descendant of this process, and of this process itself (`bench`). */
export function cpuByRole(): Map<string, number> {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => read(Number(d)))
    .filter((p): p is Proc => p !== undefined);
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byRole = new Map<string, number>();
  const self = read(process.pid);
  if (self) byRole.set('bench', self.cpuSeconds);
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      byRole.set(c.role, (byRole.get(c.role) ?? 0) + c.cpuSeconds);
      walk(c.pid);
    }
  };
  walk(process.pid);
  return byRole;
}

/** CPU seconds spent by role between two snapshots, largest first. */
export function cpuSpent(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([role, s]): [string, number] => [role, s - (before.get(role) ?? 0)])
    .filter(([, s]) => s > 0.05)
    .sort((a, b) => b[1] - a[1]);
}
