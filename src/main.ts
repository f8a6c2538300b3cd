/**
 * `npm start`: the whole service on one machine. With `TEMPORAL_ADDRESS` unset it starts the
 * embedded Temporal dev server (Web UI on 8233, database under DATA_DIR); without Stripe or Resend
 * keys it starts the local sandboxes. Then the worker and the HTTP API.
 *
 * `tsx src/main.ts worker` and `tsx src/main.ts api` run one role each against a cluster, so that
 * each scales on its own.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { setFlagsFromString } from 'node:v8';
import { ConfigError, devUiOriginsOf, loadConfig, logLevelSchema, type Config } from './config';
import { DunningClient } from './dunningClient';
import { createApp } from './http/app';
import { createResendClient } from './providers/resend';
import { createTwilioClient } from './providers/twilio';
import { createLogger, routeConsoleTo, type Logger } from './log';
import { createStripeClient } from './providers/stripe';
import { describeWebhookEndpoint, readWebhookEndpoint } from './providers/webhookEndpoint';
import { USED_TYPES } from './http/stripeEventSchemas';
import { workerRegistry } from '../activities/metrics';
import { connectWorker, lazyClient, targetFrom } from './temporal/connection';
import { isWorkerConnectUnavailable, untilReachable } from './temporal/untilReachable';
import { Readiness } from './readiness';
import { StalledCaseMonitor } from './stalled/stalledMonitor';
import { scanStalledCases } from './stalled/stalledScan';
import { checkSearchAttributes, SearchAttributesUnusable } from './temporal/searchAttributeCheck';
import { ensureCardExpirySchedule } from './temporal/cardExpirySchedule';
import { CARD_EXPIRY_SCHEDULE_ID } from '../domain/cardExpiry';
import { workerDataConverter } from './temporal/dataConverter';
import { EncryptionCodec } from './temporal/payloadCodec';
import { installRuntime, loopbackMetricsAddress, sdkMetricsText } from './temporal/runtime';
import {
  defaultBuildId,
  makeVersionCurrent,
  versionName,
  type SetCurrentPolicy,
  type WorkerDeploymentVersion,
} from './temporal/workerDeployment';
import { bundleWorkflows, createWorkers, workflowHeapFlags, workflowBundleFile } from './worker';
import { serveWorkerMetrics } from './workerMetricsServer';
import { caseEndStorePath, sqliteCaseEndStore } from './experiments/caseEndStores';
import {
  describeDatabaseUrl,
  isPostgresUnreachable,
  postgresCaseEndStore,
  type PostgresCaseEndStore,
} from './experiments/postgresCaseEndStore';
import { openCasesCounter, readExperimentResults } from './experiments/experimentResults';
import { assignmentChange, assignmentKey } from '../domain/experiment';

type Role = 'all' | 'worker' | 'api';

// Before the configuration is read, so that its errors are log lines too; an invalid LOG_LEVEL
// logs at info and stops with the configuration's error.
const logger: Logger = createLogger({
  level: logLevelSchema.catch('info').parse(process.env.LOG_LEVEL ?? 'info'),
  base: { role: process.argv[2] ?? 'all' },
});
routeConsoleTo(logger);
const log = (msg: string) => logger.info(msg);

/** How long stopping may take before the process exits anyway (under the 30 s most supervisors give). */
const STOP_TIMEOUT_MS = 15_000;

async function main(role: Role): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void> | void> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    // A part that never finishes stopping must not keep the process up: once, in CI, an API that
    // refused to start hung here until it was SIGKILLed (which part, unknown). Say which, and exit.
    let part = 0;
    const parts = stops.length;
    setTimeout(() => {
      logger.error(
        { part, parts },
        `stopping: part ${part + 1} of ${parts} did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting`,
      );
      process.exit(code);
    }, STOP_TIMEOUT_MS).unref();
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err }, 'stopping: a part failed to stop');
      }
      part += 1;
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const urls = await startAll(config, role, stops);
    printBanner(config, role, urls);
  } catch (err) {
    if (err instanceof SearchAttributesUnusable) logger.fatal({ problems: err.problems }, err.message);
    else logger.fatal(err instanceof ConfigError ? { problems: err.problems } : { err }, 'failed to start');
    await stopAll(1);
  }
}

interface Urls {
  api?: string;
  webUi?: string;
  temporal: string;
  outbox?: string;
  stripeSandbox?: string;
  smsOutbox?: string;
}

async function startAll(config: Config, role: Role, stops: Array<() => Promise<void> | void>): Promise<Urls> {
  const urls: Partial<Urls> = {};
  if (config.metricsAccess.kind === 'off') logger.warn('METRICS_TOKEN is unset: /metrics is off in production (it answers 404)');
  if (role !== 'api') {
    // Before any worker connection: the runtime is made with the first one.
    installRuntime({
      logger,
      metricsAddress: config.temporalMetricsAddress ?? (await loopbackMetricsAddress()),
    });
  }

  // ---- Temporal -------------------------------------------------------------------------------
  let address = config.temporal.address;
  /** The embedded Web UI's origins (its port may have been chosen at start): the codec server's CORS. */
  const devUiOrigins: string[] = [];
  if (!address) {
    if (role !== 'all') throw new ConfigError([`TEMPORAL_ADDRESS: required to run the ${role} alone`]);
    // Dev-only code, loaded only here: the production image does not contain it.
    const { ensureTemporalCli, nodeRuntimeNotice } = await import('../tools/toolchain');
    const { startServiceDevServer } = await import('../tools/temporal/devServer');
    const runtime = nodeRuntimeNotice(); // the pinned Node 24 via node_modules/.bin, or the machine's own
    logger[runtime.warn ? 'warn' : 'info'](`runtime: ${runtime.line}`);
    const cliPath = await ensureTemporalCli((line) => log(`toolchain: ${line}`));
    log('starting the embedded Temporal dev server…');
    const dev = await startServiceDevServer({
      cliPath,
      dataDir: config.dataDir,
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      // The Web UI shows payloads decrypted through the API's codec server (this process serves it).
      uiCodecEndpoint: `http://localhost:${config.port}/codec`,
      namespace: config.temporal.namespace,
      log: (line) => log(`temporal: ${line}`),
    });
    stops.push(() => dev.stop());
    address = dev.address;
    urls.webUi = dev.uiUrl;
    if (dev.uiPort) devUiOrigins.push(...devUiOriginsOf(dev.uiPort));
  }
  urls.temporal = address;
  const target = targetFrom(config.temporal, address, config.encryptionKeys);

  // ---- the sandboxes for what is not configured ----------------------------------------------
  let stripeBase = config.stripe.apiBase;
  if (config.stripe.sandbox && !stripeBase) {
    if (role !== 'all') throw new ConfigError([`STRIPE_SECRET_KEY or STRIPE_API_BASE: required to run the ${role} alone`]);
    const { startStripeSandbox } = await import('../sandbox/stripe');
    const sandbox = await startStripeSandbox({
      port: config.port + 1,
      webhookUrl: `http://127.0.0.1:${config.port}/webhooks/stripe`,
      webhookSecret: config.stripe.webhookSecret,
      dataFile: join(config.dataDir, 'stripe-sandbox.json'),
    });
    stops.push(() => sandbox.close());
    stripeBase = sandbox.url;
    urls.stripeSandbox = sandbox.url;
  }
  let emailBase = config.email.baseUrl;
  if (config.email.sandbox && !emailBase) {
    if (role === 'worker' || role === 'all') {
      if (role === 'worker') throw new ConfigError(['RESEND_API_KEY or RESEND_BASE_URL: required to run the worker alone']);
      const { startResendOutbox } = await import('../sandbox/resend');
      const outbox = await startResendOutbox({
        port: config.port + 2,
        dataDir: config.dataDir,
        // Emails to bounced@resend.dev, complained@resend.dev (and addresses marked to bounce)
        // come back as signed webhooks, as Resend's would.
        webhook: config.email.webhookSecret
          ? { url: `http://127.0.0.1:${config.port}/webhooks/resend`, secret: config.email.webhookSecret }
          : undefined,
      });
      stops.push(() => outbox.close());
      emailBase = outbox.url;
      urls.outbox = outbox.url;
    }
  }
  // The SMS channel: Twilio, the local Twilio sandbox (development without TWILIO_ACCOUNT_SID), or off.
  let smsBase = config.sms.apiBase;
  let smsOff = config.sms.mode === 'off';
  if (config.sms.mode === 'sandbox' && !smsBase && role === 'worker') {
    // SMS is opt-in: a development worker started alone without a Twilio sandbox to talk to sends
    // no texts (recorded `sms_off` on a case whose policy has sms steps) rather than refusing to start.
    smsOff = true;
    log('SMS off: no TWILIO_ACCOUNT_SID, and no TWILIO_API_BASE for the worker alone');
  } else if (config.sms.mode === 'sandbox' && !smsBase && role !== 'api') {
    const { startTwilioSandbox } = await import('../sandbox/twilio');
    const sandbox = await startTwilioSandbox({
      port: config.port + 3,
      dataDir: config.dataDir,
      accountSid: config.sms.accountSid,
      authToken: config.sms.authToken,
      // Replies (STOP, START) come back signed over the public URL, as Twilio's would, and are
      // delivered to this process's port (a proxy would do that in front of a real deployment).
      webhook: { url: `${config.publicBaseUrl}/webhooks/twilio`, deliverTo: `http://127.0.0.1:${config.port}/webhooks/twilio` },
    });
    stops.push(() => sandbox.close());
    smsBase = sandbox.url;
    urls.smsOutbox = sandbox.url;
  }
  const stripe = createStripeClient({ secretKey: config.stripe.secretKey, apiBase: stripeBase });
  // Lazy: the process comes up (alive, not ready) while Temporal is still unreachable.
  const client = lazyClient(target);
  stops.push(() => client.connection.close());
  // The address goes to the log (each retry names it), not to whoever polls /readyz.
  const readiness = new Readiness('connecting to Temporal');
  const warn = (msg: string, meta: Record<string, unknown>) => logger.warn(meta, msg);

  // Cases whose workflow task keeps failing, scanned every 30 s once ready (src/stalled/).
  // Each case's end record (experiment results): written by the worker, read by the API. Closed last.
  // PostgreSQL when CASE_END_DATABASE_URL is set (API and workers on different machines), else
  // the embedded SQLite file under DATA_DIR.
  const caseEndDb = config.caseEndDatabaseUrl ? postgresCaseEndStore(config.caseEndDatabaseUrl, { warn }) : undefined;
  const caseEnds = caseEndDb ?? sqliteCaseEndStore(caseEndStorePath(config.dataDir));
  stops.unshift(() => caseEnds.close());
  if (caseEndDb) await checkCaseEndDatabase(caseEndDb, describeDatabaseUrl(config.caseEndDatabaseUrl!), warn);
  if (config.experiment) {
    const x = config.experiment;
    const changed = assignmentChange(x.plan, (await caseEnds.experimentSettings(x.plan.id))?.assignment);
    if (changed) throw new ConfigError([`DUNNING_EXPERIMENT: ${changed}`]);
    await caseEnds.saveExperiment(x.plan.id, { ...x.settings, assignment: assignmentKey(x.plan) });
    log(`experiment ${x.plan.id}: new cases split ${x.plan.arms.map((a) => `${a.name} ${a.weight}`).join(', ')} by customer`);
  }

  const stalled =
    role === 'worker'
      ? undefined
      : new StalledCaseMonitor(() => scanStalledCases(client, { taskQueue: config.temporal.taskQueue }), { warn });

  // ---- HTTP API (up at once: /healthz 200, /readyz 503 until Temporal answers) -----------------
  if (role !== 'worker') {
    const cases = new DunningClient(client, config.temporal.taskQueue, config.policy, undefined, config.experiment);
    const app = createApp({
      stripe,
      cases,
      webhookSecret: config.stripe.webhookSecret,
      resendWebhookSecret: config.email.webhookSecret,
      twilioAuthToken: config.sms.mode === 'off' ? undefined : config.sms.authToken,
      apiToken: config.apiToken,
      linkSecret: config.linkSecret,
      publicBaseUrl: config.publicBaseUrl,
      businessName: config.email.businessName,
      trustProxy: config.trustProxy,
      log: (msg, meta) => logger.info(meta ?? {}, msg),
      temporalUiUrl: config.temporal.uiUrl ?? urls.webUi,
      // With the worker in this process, /metrics serves its metrics too.
      alsoServeMetrics: role === 'all' ? [workerRegistry] : undefined,
      alsoServeMetricsText: role === 'all' ? sdkMetricsText : undefined,
      metricsAccess: config.metricsAccess,
      codec: {
        codec: new EncryptionCodec(config.encryptionKeys),
        namespace: config.temporal.namespace,
        allowedOrigins: [...new Set([...config.codec.allowedOrigins, ...devUiOrigins])],
        token: config.codec.token,
        enabled: config.codec.enabled,
      },
      readiness: () => readiness.state,
      stalled,
      notice: config.notice,
      linkTtlDays: config.linkTtlDays,
      experiments: () =>
        readExperimentResults({
          store: caseEnds,
          experiment: config.experiment,
          countOpen: openCasesCounter(client, config.temporal.taskQueue),
        }),
    });
    const server: Server = await new Promise((resolve, reject) => {
      // Development: this machine only (HOST says otherwise); production: every interface, as in a container.
      const s = app.listen(config.port, config.host, () => resolve(s));
      s.on('error', reject);
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    urls.api = `http://localhost:${config.port}`;
    // Real Stripe: say which endpoint delivers here, at which version, and what it lacks. In the
    // background: a slow or refused read (a restricted key) must not hold the start.
    if (!config.stripe.sandbox) {
      readWebhookEndpoint(stripe, `${config.publicBaseUrl}/webhooks/stripe`, USED_TYPES).then(
        (report) => {
          const said = describeWebhookEndpoint(report);
          logger[said.level]({ webhookEndpoint: report }, said.message);
        },
        (err: unknown) => logger.warn({ error: String(err) }, 'could not read the Stripe webhook endpoints'),
      );
    }
  } else {
    // Alone, the worker serves its own /metrics (and its probes); beside the API, the API's serves them.
    const metrics = await serveWorkerMetrics(config.metricsPort, {
      extra: sdkMetricsText,
      access: config.metricsAccess,
      readiness: () => readiness.state,
    });
    stops.push(() => metrics.close());
    log(`worker metrics on ${metrics.url}`);
  }

  // ---- Temporal answers; the namespace has what the cases need --------------------------------
  // Before anything runs a case: without an attribute every case that upserts it would stall.
  // Unreachable: tried again; reachable but unusable (an attribute missing): the start stops.
  await untilReachable(
    async () => {
      await client.connection.withDeadline(Date.now() + 5000, () => client.workflowService.getSystemInfo({}));
      await checkSearchAttributes(client.connection, config.temporal.namespace, {
        register: config.temporal.registerSearchAttributes,
        log,
      });
    },
    { what: `reach Temporal at ${address}`, warn },
  );

  // ---- the card expiry scan: its Temporal Schedule as the policy says (docs/operations.md) -------
  if (role !== 'worker') {
    try {
      const change = await ensureCardExpirySchedule(client, {
        taskQueue: config.temporal.taskQueue,
        policy: config.policy.expiryReminders,
        every: config.cardExpiryScanEvery,
      });
      if (change !== 'off') log(`card expiry scan schedule ${CARD_EXPIRY_SCHEDULE_ID}: ${change}`);
    } catch (err) {
      // The reminders are a courtesy: without their schedule, every case still runs.
      logger.error({ err }, `could not create or update the schedule ${CARD_EXPIRY_SCHEDULE_ID}: no card expiry reminders`);
    }
  }

  // ---- worker -----------------------------------------------------------------------------------
  if (role !== 'api') {
    readiness.notReady('starting the workers');
    // Before Worker.create starts the workflows' thread: V8 reads these when it makes its heap.
    for (const flag of workflowHeapFlags(config.worker)) setFlagsFromString(flag);
    // The cluster may have gone again since it answered the client.
    const connection = await untilReachable(() => connectWorker(target), {
      what: `connect the worker to Temporal at ${address}`,
      warn,
      isUnreachable: isWorkerConnectUnavailable,
    });
    const workflowBundle = config.workflowBundlePath
      ? workflowBundleFile(config.workflowBundlePath, log)
      : await bundleWorkflows();
    const versioning = config.temporal.versioning;
    const deployment = versioning && {
      deploymentName: versioning.deploymentName,
      buildId: versioning.buildId ?? defaultBuildId(workflowBundle),
    };
    const workers = await createWorkers({
      deployment,
      connection,
      client,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      stripe,
      resend: createResendClient({ apiKey: config.email.apiKey, baseUrl: emailBase }),
      email: {
        from: config.email.from,
        replyTo: config.email.replyTo,
        businessName: config.email.businessName,
        publicBaseUrl: config.publicBaseUrl,
        linkSecret: config.linkSecret,
        linkTtlDays: config.linkTtlDays,
      },
      emailRatePerSecond: config.email.ratePerSecond,
      sms: smsOff
        ? undefined
        : {
            client: createTwilioClient({
              accountSid: config.sms.accountSid,
              authToken: config.sms.authToken,
              apiBase: smsBase,
            }),
            settings: {
              from: config.sms.from,
              businessName: config.email.businessName,
              publicBaseUrl: config.publicBaseUrl,
              linkSecret: config.linkSecret,
              linkTtlDays: config.linkTtlDays,
              priceMicroUsdPerSegment: config.sms.priceMicroUsdPerSegment,
            },
          },
      appWebhook: config.appWebhook,
      networkRules: config.networkRules,
      caseEnds,
      memory: config.worker,
      // In production an unencrypted start, signal or Update has no effect on a case.
      dataConverter: workerDataConverter(config.encryptionKeys, config.production),
      workflowBundle,
    });
    const running = workers.run();
    running.catch((err) => {
      logger.error({ err }, 'worker stopped');
      process.kill(process.pid, 'SIGTERM');
    });
    stops.push(async () => {
      workers.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    });
    if (versioning && deployment) await announceVersion(client, config.temporal.namespace, deployment, versioning.setCurrent);
  }
  readiness.markReady();
  if (stalled) {
    stalled.start();
    stops.push(() => stalled.stop());
  }
  return urls as Urls;
}

/**
 * The case end database at start: connected and its schema made (if missing), before the
 * experiment's settings are read from it. Not up yet: waited for, as Temporal is; refusing (a wrong
 * password, no such database): the start stops naming the variable. The URL's password is never
 * logged: `where` has none.
 */
async function checkCaseEndDatabase(
  store: PostgresCaseEndStore,
  where: string,
  warn: (msg: string, meta: Record<string, unknown>) => void,
): Promise<void> {
  try {
    await untilReachable(() => store.ready(), {
      what: `reach the case end database at ${where}`,
      target: 'PostgreSQL',
      isUnreachable: isPostgresUnreachable,
      warn,
    });
  } catch (err) {
    throw new ConfigError([`CASE_END_DATABASE_URL (${where}): ${err instanceof Error ? err.message : String(err)}`]);
  }
  log(`case end records in PostgreSQL at ${where}`);
}

/**
 * A versioned worker gets workflow tasks once its version is current: made so here as
 * WORKER_SET_CURRENT_VERSION allows, else said in the log with the command that does it. Not
 * fatal: the activities run meanwhile, and the operator's command is enough.
 */
async function announceVersion(
  client: Client,
  namespace: string,
  deployment: WorkerDeploymentVersion,
  policy: SetCurrentPolicy,
): Promise<void> {
  const name = versionName(deployment);
  const command = `temporal worker deployment set-current-version --deployment-name ${deployment.deploymentName} --build-id ${deployment.buildId}`;
  try {
    const outcome = await makeVersionCurrent(client.workflowService, deployment, { namespace, policy, log });
    if (outcome.kind === 'left') {
      logger.warn(
        { version: name, current: outcome.current, policy },
        `worker version ${name} is not current (current: ${outcome.current ?? 'none'}): it runs no workflow task until ${command} (docs/releases.md)`,
      );
    } else log(`worker version ${name} is current`);
  } catch (err) {
    // UNIMPLEMENTED: the server has no Worker Deployments (before 1.29.1); the CLI would fail too.
    const unversionedServer = (err as { code?: unknown }).code === 12;
    logger.error(
      { err, version: name },
      unversionedServer
        ? `could not make worker version ${name} current: this Temporal server has no Worker Deployment Versioning; set WORKER_VERSIONING=off or use a server of 1.29.1 or later (docs/releases.md)`
        : `could not make worker version ${name} current: run ${command}`,
    );
  }
}

function printBanner(config: Config, role: Role, urls: Urls): void {
  const lines = [
    `dunning service running (${role})`,
    urls.api && `  API             ${urls.api}   (webhooks: ${urls.api}/webhooks/stripe)`,
    urls.api && config.codec.enabled && `  Codec server    ${urls.api}/codec   (the Web UI decrypts payloads through it)`,
    urls.api && `  Dashboard       ${urls.api}/dashboard   (sign in with the API token)`,
    urls.webUi && `  Temporal Web UI ${urls.webUi}/namespaces/${config.temporal.namespace}/workflows`,
    `  Temporal        ${urls.temporal} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
    urls.outbox && `  Email outbox    ${urls.outbox}   (local Resend sandbox)`,
    urls.stripeSandbox && `  Stripe sandbox  ${urls.stripeSandbox}   (local; set STRIPE_SECRET_KEY for real Stripe)`,
    urls.smsOutbox && `  SMS outbox      ${urls.smsOutbox}   (local Twilio sandbox; set TWILIO_ACCOUNT_SID for real Twilio)`,
    config.generated.includes('API_TOKEN') &&
      `  Dev API token   ${config.apiToken}   (kept in ${config.dataDir}/dev-secrets.json)`,
    config.generated.includes('PAYLOAD_ENCRYPTION_KEYS') &&
      `  Payload key     ${config.encryptionKeys[0]!.id}   (dev key, kept in ${config.dataDir}/dev-secrets.json)`,
    urls.stripeSandbox && `  Try it:         npm run demo`,
    `  Stop:           Ctrl-C`,
  ];
  // One line like every other: the message, then what a person looks for, without the padding.
  const [first, ...rest] = lines.filter((l): l is string => typeof l === 'string');
  logger.info(
    {
      details: rest.map((l) =>
        l
          .trim()
          .replace(/:?\s{2,}/, ': ')
          .replace(/\s{2,}/g, ' '),
      ),
    },
    first,
  );
}

const role = (process.argv[2] ?? 'all') as Role;
if (!['all', 'worker', 'api'].includes(role)) {
  console.error(`usage: tsx src/main.ts [worker|api]   (got "${role}")`);
  process.exit(2);
}
main(role).catch((err) => {
  logger.fatal(err instanceof ConfigError ? { problems: err.problems } : { err }, 'failed to start');
  process.exit(1);
});
