/**
 * Phase 4: the worker's resident memory with N open sleeping cases, with the service's default
 * sticky cache (small: a case that sleeps for days need not stay cached) and with a bigger one, and
 * what a wake-up of an evicted case costs. After a restart with the given cache size every case is
 * queried once (each query replays the case into the cache, as a wake-up would, the cache evicting
 * the least recently used); then RSS; then the first cases queried again (evicted with the small
 * cache: a replay; still cached with the big one) against the last ones (cached either way).
 */
import { mapLimit } from '../tools/chaos/driver';
import { statusQuery } from '../domain/messages';
import { type Bench, restartWorker, rssMb } from './context';
import { percentile } from './stats';

export interface MemoryFigures {
  cache: number | 'default';
  openCases: number;
  rssMb: number;
  /** Query latency of a cached case (ms, p50) and of one evicted by the time it is asked again. */
  warmP50: number;
  secondAskFirstP50: number;
}

const SAMPLE = 50;

export async function memoryWith(b: Bench, workflowIds: readonly string[], cache: number | 'default'): Promise<MemoryFigures> {
  const env = { ...b.workerEnv };
  if (cache === 'default') delete env.WORKER_MAX_CACHED_WORKFLOWS;
  else env.WORKER_MAX_CACHED_WORKFLOWS = String(cache);
  await restartWorker(b, env);
  const ask = async (id: string) => {
    const t = Date.now();
    await b.client.workflow.getHandle(id).query(statusQuery);
    return Date.now() - t;
  };
  await mapLimit(workflowIds, 8, ask);
  const rss = await rssMb(b.stack.worker.pid());
  // One at a time: the latency of one replay, not of a queue of them.
  const firstAgain = await mapLimit(workflowIds.slice(0, SAMPLE), 1, ask);
  const lastAgain = await mapLimit(workflowIds.slice(-SAMPLE), 1, ask);
  return {
    cache,
    openCases: workflowIds.length,
    rssMb: rss,
    warmP50: percentile(lastAgain, 0.5),
    secondAskFirstP50: percentile(firstAgain, 0.5),
  };
}
