/**
 * Phase 5: what one case costs on Temporal per path of the default policy, from the histories the
 * workflow tests record (test/histories, the newest version of each; `RECORD_HISTORIES=1 npx
 * vitest run test/workflows` records them again from the current code).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyCost, type HistoryCost } from './historyShape';

const DIR = join(__dirname, '..', 'test', 'histories');

/** The three ends of the default policy and the recorded history of each. */
export const PATHS: Record<string, string> = {
  'recovered by scheduled retry': 'recovered-scheduled-retry',
  'recovered by card update': 'recovered-card-update',
  'exhausted (14 days, cancel)': 'exhausted-default',
};

export interface PathCost extends HistoryCost {
  path: string;
  history: string;
}

const version = (file: string) => Number(/\.v(\d+)\.json$/.exec(file)?.[1] ?? 0);

export function pathCosts(): PathCost[] {
  const files = readdirSync(DIR);
  return Object.entries(PATHS).map(([path, name]) => {
    const newest = files.filter((f) => f.startsWith(`${name}.v`)).sort((a, b) => version(b) - version(a))[0];
    if (!newest) throw new Error(`no recorded history ${name}.v*.json in ${DIR}`);
    const json = JSON.parse(readFileSync(join(DIR, newest), 'utf8')) as { events: Parameters<typeof historyCost>[0] };
    return { path, history: newest, ...historyCost(json.events) };
  });
}
