import path from 'node:path';
import { it } from 'vitest';
import { buildFixture, fixture } from '../helpers/engine.js';
it('scratch', async () => {
  const name = process.env.SCRATCH_FIXTURE!;
  const { manifests, log } = await buildFixture(name, { configPath: path.join(fixture(name), process.env.SCRATCH_CONFIG!), platform: process.env.SCRATCH_PLATFORM, expectFailure: true });
  console.log(JSON.stringify(manifests, null, 1));
  console.log(log.slice(-40).join('\n'));
}, 3_600_000);
