/**
 * `npm run temporal:dev`: the embedded Temporal dev server on its own, exactly as `npm start` runs
 * it (database and pid record under DATA_DIR, TEMPORAL_DEV_PORT / TEMPORAL_DEV_UI_PORT), for a
 * worker and an API started as separate processes with TEMPORAL_ADDRESS pointing at it.
 * Prints one `ready` line with the address and the server's pid; SIGINT/SIGTERM stop it.
 */
import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig } from '../src/config';
import { startServiceDevServer } from '../tools/temporal/devServer';
import { ensureTemporalCli } from '../tools/toolchain';

const log = (line: string) => console.log(`[temporal] ${line}`);

async function main(): Promise<void> {
  const config = loadConfig();
  mkdirSync(config.dataDir, { recursive: true });
  const cliPath = await ensureTemporalCli(log);
  const server = await startServiceDevServer({
    cliPath,
    dataDir: config.dataDir,
    port: config.temporal.devServer.port,
    uiPort: config.temporal.devServer.uiPort,
    // The API (`npm run start:api`, same PORT) serves the codec the Web UI decrypts payloads with.
    uiCodecEndpoint: `http://localhost:${config.port}/codec`,
    namespace: config.temporal.namespace,
    log,
  });
  console.log(
    `ready: TEMPORAL_ADDRESS=${server.address} pid=${server.pid ?? 'unknown'}${server.uiUrl ? ` ui=${server.uiUrl}` : ''}`,
  );
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err instanceof ConfigError || err instanceof Error ? err.message : err);
  process.exit(1);
});
