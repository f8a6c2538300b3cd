/**
 * Worker Deployment Versioning (docs/releases.md): every worker of one build polls as one version
 * of a Worker Deployment, `<deploymentName>.<buildId>`, and the server sends a workflow task to a
 * version's workers only once that version is current (or ramping), or when the workflow is pinned
 * to it. Each workflow type says whether it moves to the current version at its next task
 * (AUTO_UPGRADE) or finishes where it started (PINNED): workflows/versioning.ts.
 *
 * Every place that starts workers (src/main.ts, the test stacks, chaos, benchmarks, the cluster,
 * compose) builds its version here and calls `makeVersionCurrent`, so that none of them waits
 * forever for tasks. The Java time-skipping test server knows no deployments: workers there run
 * unversioned (no `workerDeploymentOptions`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerDeploymentOptions, WorkflowBundlePath, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

export type { WorkerDeploymentVersion };

/**
 * When a worker makes its own version current at start (WORKER_SET_CURRENT_VERSION):
 * - `always`: at every start (development, tests: one build at a time, nobody to ask);
 * - `first`: only while the deployment has no current version (the first deploy of a new
 *   installation); later builds wait for the operator's `set-current-version` or ramp;
 * - `never`: the operator (or a deploy tool) does it every time.
 */
export const SET_CURRENT_POLICIES = ['always', 'first', 'never'] as const;
export type SetCurrentPolicy = (typeof SET_CURRENT_POLICIES)[number];

/**
 * What a worker of this build gives Worker.create. The default behaviour only covers a workflow
 * type that declares none, which a test forbids (test/versioning/behaviours.test.ts): AUTO_UPGRADE,
 * because a forgotten PINNED type would hold an old build's workers up for as long as it runs.
 */
export function deploymentOptions(version: WorkerDeploymentVersion | undefined): {
  workerDeploymentOptions?: WorkerDeploymentOptions;
} {
  if (!version) return {};
  return {
    workerDeploymentOptions: { version, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' },
  };
}

/** `deploymentName.buildId`, as the CLI and the Web UI name a version. */
export function versionName(v: WorkerDeploymentVersion): string {
  return `${v.deploymentName}.${v.buildId}`;
}

/**
 * The build id when WORKER_BUILD_ID is unset: the package version and a hash of the workflow
 * bundle's code. Same code, same id (every replica of an image, a restart); changed workflow code,
 * a new version. The inline source map is left out of the hash: it names files by path, which
 * differs between checkouts of the same code.
 */
export function defaultBuildId(bundle: WorkflowBundleWithSourceMap | WorkflowBundlePath, packageVersion = ownVersion()): string {
  const code = 'code' in bundle ? bundle.code : readFileSync(bundle.codePath, 'utf8');
  const withoutMap = code.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '');
  return `${packageVersion}-${createHash('sha256').update(withoutMap).digest('hex').slice(0, 12)}`;
}

/** package.json's version, found upward from here (src/temporal/ in a checkout, dist/src/temporal/ in the image). */
function ownVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'dunning-service' && pkg.version) return pkg.version;
  }
  return '0.0.0';
}

export type CurrentOutcome =
  | { kind: 'made-current'; previous?: string }
  | { kind: 'already-current' }
  /** Policy `first` and another build is current, or policy `never`: the operator decides. */
  | { kind: 'left'; current?: string };

export interface MakeCurrentOptions {
  namespace: string;
  policy: SetCurrentPolicy;
  /** Who asked, in the deployment's `lastModifierIdentity`. */
  identity?: string;
  /** How long to keep trying while the server has not seen the workers poll yet; default 60 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** Servers that propagate routing changes asynchronously (1.30 and later) say so; 1.29 leaves it unspecified. */
const ROUTING_IN_PROGRESS = temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_IN_PROGRESS;

/**
 * Makes `version` the current version of its deployment, as `policy` allows, and waits until the
 * server has handed the change to its task queues (tasks flow from then on). The deployment and
 * the version exist only once the server has seen a worker of this build poll: until then the
 * answer is NOT_FOUND (or "no pollers"), and this tries again. The conflict token from the describe
 * makes the change conditional: if someone else changed the deployment in between (another replica
 * starting at the same moment, an operator), the call fails and the new state is read again.
 */
export async function makeVersionCurrent(
  service: WorkflowService,
  version: WorkerDeploymentVersion,
  opts: MakeCurrentOptions,
): Promise<CurrentOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const { namespace } = opts;
  const { deploymentName, buildId } = version;
  let lastError: unknown;
  let outcome: CurrentOutcome | undefined;
  while (Date.now() < deadline) {
    try {
      const described = await service.describeWorkerDeployment({ namespace, deploymentName });
      const info = described.workerDeploymentInfo;
      const current = info?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
      const known = info?.versionSummaries?.some((v) => v.deploymentVersion?.buildId === buildId) ?? false;
      if (current === buildId) {
        outcome ??= { kind: 'already-current' };
        if (info?.routingConfigUpdateState !== ROUTING_IN_PROGRESS) return outcome;
      } else if (opts.policy === 'never' || (opts.policy === 'first' && current)) {
        return { kind: 'left', current };
      } else if (known) {
        await service.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName,
          buildId,
          conflictToken: described.conflictToken,
          identity: opts.identity ?? `dunning-worker ${versionName(version)}`,
        });
        outcome = { kind: 'made-current', previous: current };
        opts.log?.(`worker deployment ${deploymentName}: ${buildId} is now current${current ? ` (was ${current})` : ''}`);
        continue; // read it back: wait for the change to reach the task queues
      }
    } catch (err) {
      if (!isRetryable(err)) throw err;
      lastError = err;
    }
    await sleep(250);
  }
  if (outcome) return outcome; // set, still propagating: the tasks follow shortly
  throw new Error(
    `could not make ${versionName(version)} current within ${opts.timeoutMs ?? 60_000} ms` +
      (lastError ? `: ${(lastError as Error).message}` : ' (the server has not seen its workers poll)'),
  );
}

/**
 * gRPC codes worth another try here: NOT_FOUND (no poll seen yet), FAILED_PRECONDITION (no
 * pollers yet, or a conflict token that is stale), ABORTED and the transient ones.
 */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && [5, 9, 10, 14, 4, 8].includes(code);
}
