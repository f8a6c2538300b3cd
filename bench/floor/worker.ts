/**
 * The bench's floor worker, its own process like the service's worker: FLOOR_TASK_QUEUE on
 * TEMPORAL_ADDRESS, payloads encrypted with PAYLOAD_ENCRYPTION_KEYS as the service's are.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { parseEncryptionKeys } from '../../src/config';
import { encryptingDataConverter } from '../../src/temporal/dataConverter';
import * as activities from './activities';

async function main(): Promise<void> {
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.FLOOR_TASK_QUEUE!,
    workflowsPath: require.resolve('./workflows'),
    activities,
    dataConverter: encryptingDataConverter(parseEncryptionKeys(process.env.PAYLOAD_ENCRYPTION_KEYS!)),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.shutdown());
  console.log('floor worker ready');
  await worker.run();
  await connection.close();
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
