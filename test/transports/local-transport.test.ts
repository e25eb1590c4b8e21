import { join } from 'node:path';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import { createLocalTransport } from '../../src/transports/local-transport.js';
import { describeTransportContract } from '../contracts/transport.js';
import { tempDir } from '../helpers/temp-dir.js';

describeTransportContract('local (in-process runtime)', async () => {
  const dir = tempDir();
  const runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db'), pollIntervalMs: 20 });
  return {
    transport: createLocalTransport(runtime),
    runtime,
    teardown: async () => {
      await runtime.close();
      dir.cleanup();
    },
  };
});
