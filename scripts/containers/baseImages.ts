/**
 * The Debian root file systems every local image starts FROM (no registry is reachable here):
 * made once per machine with mmdebstrap from the Debian mirror (minbase, with the suite's updates
 * and security archives) and imported as `localhost/dunning-debian:<suite>`. Delete the image to
 * make it afresh (e.g. for security updates): `podman rmi localhost/dunning-debian:bookworm`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../tools/toolchain/cache';
import { runWithHeartbeat, type Log } from '../../tools/toolchain/process';
import { imageExists, podman, podmanEnv } from './podman';

export type Suite = 'bookworm' | 'trixie';

export const baseImage = (suite: Suite) => `localhost/dunning-debian:${suite}`;

const MIRROR = 'http://deb.debian.org/debian';
const SECURITY = 'http://deb.debian.org/debian-security';

export async function ensureBaseImage(suite: Suite, log: Log): Promise<string> {
  const name = baseImage(suite);
  if (imageExists(name)) return name;
  const dir = join(cacheDir(), 'containers');
  mkdirSync(dir, { recursive: true });
  const tarball = join(dir, `debian-${suite}.tar`);
  const sources = [
    `deb ${MIRROR} ${suite} main`,
    `deb ${MIRROR} ${suite}-updates main`,
    `deb ${SECURITY} ${suite}-security main`,
  ];
  const { code, tail } = await runWithHeartbeat(
    'nice',
    ['mmdebstrap', '--variant=minbase', '--quiet', suite, tarball, ...sources],
    {
      label: `mmdebstrap ${suite}`,
      log,
      env: podmanEnv(),
    },
  );
  if (code !== 0) throw new Error(`mmdebstrap ${suite} failed:\n${tail.slice(-1500)}`);
  await podman(['import', '--change', 'CMD ["/bin/bash"]', tarball, name]);
  rmSync(tarball, { force: true });
  log(`base image ${name} made`);
  return name;
}
