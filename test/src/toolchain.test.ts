/**
 * The toolchain's second run (the one every `npm test` and every temporal test run makes) finds
 * everything from the cache without building, spawning or downloading anything.
 */
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cachedToolchain,
  ensureStripeMock,
  ensureTemporalCli,
  ensureTestServer,
  manifestPath,
  readManifest,
} from '../../tools/toolchain';

// Provisioned by `npm test`'s pretest; a bare `vitest` on a fresh machine has no manifest yet.
describe.skipIf(!existsSync(manifestPath()))('toolchain (cached)', () => {
  // How fast it is, bench/toolchain-second-run.ts measures; this checks that it only looks.
  it('resolves every tool again from the cache, building and running nothing', async () => {
    const lines: string[] = [];
    const log = (line: string) => void lines.push(line);
    const [cli, testServer, stripeMock] = await Promise.all([
      ensureTemporalCli(log),
      ensureTestServer(log),
      ensureStripeMock(log),
    ]);
    expect(lines.join('\n')).not.toMatch(/building|\$ /); // nothing was built or run
    for (const path of [cli, testServer, stripeMock]) {
      if (path) expect(statSync(path).mode & 0o111, path).not.toBe(0);
    }
  });

  it('records paths and versions in the manifest', () => {
    const manifest = readManifest();
    const cached = cachedToolchain();
    expect(cached.temporalCli).toBe(manifest.temporalCli?.path);
    expect(cached.testServer).toBe(manifest.testServer?.path);
    if (manifest.testServer?.source === 'cache') {
      expect(manifest.testServer.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(manifest.testServer.requires?.length).toBeGreaterThan(0);
    }
    if (manifest.temporalCli?.source === 'cache') expect(manifest.temporalCli.version).toMatch(/^v\d+\.\d+\.\d+$/);
  });
});
