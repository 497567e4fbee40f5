/**
 * The termchat server for the benchmark, in its own process: startServer with TCP and gRPC on one
 * service and one store, as `termchat-server --grpc-port` runs it. Prints
 * "termchat bench server TCP_PORT GRPC_PORT PID".
 * Usage: tsx bench/lib/serverChild.ts DATA_DIR [SCRYPT_COST] [memory]
 * With `memory` the same server runs on the in-memory store (an experiment that shows what the
 * store costs).
 */
import { startServer } from '../../src/server/server.js';

const dataDir = process.argv[2] ?? './bench-data';
const scryptCost = Number(process.argv[3] ?? 2);
const mode = process.argv[4];
const s = await startServer({ port: 0, grpcPort: 0, dataDir, scryptCost, store: mode === 'memory' ? 'memory' : 'sqlite' });
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
