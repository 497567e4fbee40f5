/**
 * The termchat server for the benchmark, in its own process: startServer with TCP and gRPC on one
 * service and one store, as `termchat-server --grpc-port` runs it. Prints
 * "termchat bench server TCP_PORT GRPC_PORT PID".
 * Usage: tsx bench/lib/serverChild.ts DATA_DIR [SCRYPT_COST] [COMMIT_WINDOW_MS | memory | default]
 *        [--stats-interval MS]
 * With `memory` the same service and transports run on the bench-only MemoryStore (an experiment
 * that shows what the store costs); otherwise it is exactly startServer. With --stats-interval the
 * server logs its `stats` lines (event-loop delay, CPU, RSS; pino JSON) on stderr, with warnings and
 * errors; other info lines (one per registered account) are dropped so they cost the run nothing.
 */
import pino from 'pino';
import { PasswordHasher } from '../../src/server/auth.js';
import { ChatService } from '../../src/server/service.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { GrpcTransport } from '../../src/server/transports/grpc.js';
import { TcpTransport } from '../../src/server/transports/tcp.js';
import { MemoryStore } from './memoryStore.js';

async function startOnMemory(scryptCost: number): Promise<RunningServer> {
  const log = pino({ level: 'silent' });
  const store = new MemoryStore();
  const service = new ChatService(store, new PasswordHasher({ cost: scryptCost }), log);
  const tcp = await TcpTransport.listen(service, log, { host: '127.0.0.1', port: 0 });
  const grpc = await GrpcTransport.listen(service, log, { host: '127.0.0.1', port: 0 });
  return {
    host: '127.0.0.1',
    port: tcp.port,
    grpcPort: grpc.port,
    dataDir: '(memory)',
    async close() {
      tcp.stopAccepting();
      await service.shutdown(1000);
      await Promise.all([tcp.closeAll(), grpc.closeAll()]);
    },
  };
}

const flagAt = process.argv.indexOf('--stats-interval');
const statsIntervalMs = flagAt > 0 ? Number(process.argv[flagAt + 1]) : undefined;
const positional = flagAt > 0 ? process.argv.slice(2, flagAt) : process.argv.slice(2);
const dataDir = positional[0] ?? './bench-data';
const scryptCost = Number(positional[1] ?? 2);
const mode = positional[2] === 'default' ? undefined : positional[2];
const logger =
  statsIntervalMs === undefined
    ? undefined
    : pino(
        {
          level: 'info',
          base: null,
          hooks: {
            logMethod(args, method, level) {
              if (level >= 40 || args.includes('stats')) method.apply(this, args);
            },
          },
        },
        pino.destination({ fd: 2, sync: false }),
      );
const s =
  mode === 'memory'
    ? await startOnMemory(scryptCost)
    : await startServer({ port: 0, grpcPort: 0, dataDir, scryptCost, commitWindowMs: mode === undefined ? undefined : Number(mode), statsIntervalMs, logger });
process.stdout.write(`termchat bench server ${s.port} ${s.grpcPort} ${process.pid}\n`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  s.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
