/**
 * Phase 5: what one case costs on Temporal per path of the default policy, from the histories the
 * workflow tests record (test/histories/<scenario>.json; `RECORD_HISTORIES=1 npx vitest run
 * test/temporal/workflow` records them again from the current code).
 */
import { existsSync, readFileSync } from 'node:fs';
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

export function pathCosts(): PathCost[] {
  return Object.entries(PATHS).map(([path, name]) => {
    const file = `${name}.json`;
    if (!existsSync(join(DIR, file))) throw new Error(`no recorded history ${file} in ${DIR}`);
    const json = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { events: Parameters<typeof historyCost>[0] };
    return { path, history: file, ...historyCost(json.events) };
  });
}
