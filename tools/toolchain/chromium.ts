/**
 * Headless Chromium for the browser tests (driven by playwright-core, which ships no browser of its
 * own): Debian's `chromium` package, so the browser comes from the distribution's registry like
 * every other system tool here, and works as root with `--no-sandbox`.
 */
import { aptInstall } from './apt';
import type { Log } from './process';
import { fromEnv, fromPath, provision } from './provision';

/** `CHROMIUM_PATH` → `chromium` on PATH → `apt-get install -y chromium` when root → undefined. */
export function ensureChromium(log: Log): Promise<string | undefined> {
  return provision(
    'chromium',
    async () =>
      fromEnv('chromium', 'CHROMIUM_PATH', log) ??
      fromPath('chromium', 'chromium', log) ??
      (await aptInstall('chromium', 'chromium', 'chromium', 'the browser tests will skip', log)),
  );
}
