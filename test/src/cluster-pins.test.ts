/**
 * `npm run cluster` runs what docker-compose.yml runs: the Temporal version it pins (read from it,
 * so a bump there rebuilds the local server) and the dynamic config folder it mounts (read in
 * place). These checks fail when compose changes shape so that the reading would silently miss.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalServerTools } from '../../tools/cluster/binaries';
import { composePins, REPO_ROOT } from '../../tools/cluster/pins';
import { HISTORY_SHARDS, renderServerConfig } from '../../tools/cluster/serverConfig';

const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');

describe('the local cluster follows docker-compose.yml', () => {
  it('builds the server version compose pins, the one its schema tool (admin-tools) has too', () => {
    const { temporalVersion } = composePins();
    expect(compose).toContain(`temporalio/server:${temporalVersion}`);
    expect(compose).toContain(`temporalio/admin-tools:${temporalVersion}`);
    const tools = temporalServerTools(temporalVersion);
    expect(tools.server.version).toBe(`v${temporalVersion}`);
    expect(tools.sql.version).toBe(`v${temporalVersion}`);
    expect(tools.server.dirName).toBe(`temporal-server-v${temporalVersion}`);
  });

  it("reads compose's dynamic config file in place", () => {
    const { dynamicConfigFile } = composePins();
    expect(dynamicConfigFile).toBe(join(REPO_ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'));
    expect(readFileSync(dynamicConfigFile, 'utf8')).toMatch(/^matching\.useNewMatcher:/m);
    const config = renderServerConfig(dynamicConfigFile);
    expect(config).toContain(`filepath: ${JSON.stringify(dynamicConfigFile)}`);
    expect(config).toContain(`numHistoryShards: ${HISTORY_SHARDS}`);
    expect(HISTORY_SHARDS).toBeGreaterThan(1);
    expect(config).toMatch(/visibilityStore: postgres-visibility/);
  });

  it('names the compose version it could not read', () => {
    expect(() => composePins(join(REPO_ROOT, 'package.json'))).toThrow(/no temporalio\/server image/);
  });
});
