/**
 * The bench's floor worker, its own process like the service's worker: FLOOR_TASK_QUEUE on
 * TEMPORAL_ADDRESS, payloads encrypted with PAYLOAD_ENCRYPTION_KEYS as the service's are, polling
 * as a Worker Deployment Version as the service's worker does (a deployment named for its queue).
 */
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { parseEncryptionKeys } from '../../src/config';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import { deploymentOptions, makeVersionCurrent } from '../../src/temporal/workerDeployment';
import * as activities from './activities';

async function main(): Promise<void> {
  const address = process.env.TEMPORAL_ADDRESS!;
  const connection = await NativeConnection.connect({ address });
  const deployment = { deploymentName: process.env.FLOOR_TASK_QUEUE!, buildId: 'floor' };
  const worker = await Worker.create({
    ...deploymentOptions(deployment),
    connection,
    taskQueue: process.env.FLOOR_TASK_QUEUE!,
    workflowsPath: require.resolve('./workflows'),
    activities,
    dataConverter: encryptingDataConverter(parseEncryptionKeys(process.env.PAYLOAD_ENCRYPTION_KEYS!)),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  const running = worker.run();
  const client = await Connection.connect({ address });
  await makeVersionCurrent(client.workflowService, deployment, { namespace: 'default', policy: 'always' });
  await client.close();
  console.log('floor worker ready');
  await running;
  await connection.close();
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
