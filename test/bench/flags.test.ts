/** `npm run bench`'s flags: the sizes, the cluster address and the worker count a run is given. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, parseFlags } from '../../bench/flags';

describe('parseFlags', () => {
  it('keeps the defaults, one worker and no cluster, when given nothing', () => {
    expect(parseFlags([])).toEqual(DEFAULT_FLAGS);
    expect(DEFAULT_FLAGS.workers).toBe(1);
    expect(DEFAULT_FLAGS.temporal).toBeUndefined();
  });

  it('reads the cluster address, the worker count and the SIGKILL burst', () => {
    const f = parseFlags([
      '--temporal',
      '127.0.0.1:17233',
      '--workers',
      '2',
      '--kill-burst',
      '300',
      '--open',
      '0',
      '--results',
      'x.json',
    ]);
    expect(f).toMatchObject({ temporal: '127.0.0.1:17233', workers: 2, killBurst: 300, open: 0, results: 'x.json' });
  });

  it('refuses no workers, a fraction, and an unknown or incomplete flag', () => {
    expect(() => parseFlags(['--workers', '0'])).toThrow(/at least 1/);
    expect(() => parseFlags(['--workers', '1.5'])).toThrow(/whole number/);
    expect(() => parseFlags(['--worker', '2'])).toThrow(/unknown or incomplete/);
    expect(() => parseFlags(['--workers'])).toThrow(/unknown or incomplete/);
  });
});
