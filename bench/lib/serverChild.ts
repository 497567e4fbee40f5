/**
 * The termchat server for the benchmark, in its own process: startServer with TCP and gRPC on one
 * service and one store, as `termchat-server --grpc-port` runs it. Prints
 * "termchat bench server TCP_PORT GRPC_PORT PID".
 * Usage: tsx bench/lib/serverChild.ts DATA_DIR [SCRYPT_COST] [memory | default]
 *        [--stats-interval MS]
 * With `memory` the same server runs on the in-memory store (an experiment that shows what the
 * store costs; NOT durable); otherwise it is exactly startServer. With --stats-interval the
 * server logs its `stats` lines (event-loop delay, CPU, RSS; pino JSON) on stderr, with warnings and
 * errors; other info lines (one per registered account) are dropped so they cost the run nothing.
 */
import pino from 'pino';
import type * as Server from '../../src/server/server.js';

// The server as users run it: the compiled JavaScript in dist/ (`npm run build`), not the TypeScript
// through tsx, whose per-function helpers would be measured as server cost.
const { startServer } = (await import(new URL('../../dist/server/server.js', import.meta.url).href)) as typeof Server;

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
const s = await startServer({ port: 0, grpcPort: 0, dataDir, scryptCost, store: mode === 'memory' ? 'memory' : 'sqlite', statsIntervalMs, logger });
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
