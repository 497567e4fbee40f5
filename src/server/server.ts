/**
 * Wires a server together: store, hasher, service, TCP transport. Used by the CLI (main.ts) and by
 * tests and benchmarks that run a server in-process.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';
import { PasswordHasher } from './auth.js';
import { claimDataDir } from './dataDir.js';
import type { ThrottleOptions } from './throttle.js';
import type { GroupLimits } from './groupLimits.js';
import { ChatService } from './service.js';
import { MemoryStore } from './store/memory.js';
import { PostgresStore } from './store/postgres.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';
import { serveMetrics, type MetricsEndpoint } from './metricsHttp.js';
import { Admission, fitConnectionCap } from './transports/admission.js';
import { DEFAULT_CONNECTION_LIMITS, TcpTransport, type ConnectionLimits, type PipelineLimits, type TlsFiles } from './transports/tcp.js';

export interface ServerOptions {
  /** Interface to listen on; default DEFAULT_HOST. */
  host?: string;
  /** Port; 0 lets the OS pick (read it from the result). Default DEFAULT_PORT. */
  port?: number;
  /** Data directory (created if missing). Default DEFAULT_DATA_DIR. */
  dataDir?: string;
  /** scrypt N; default 16384. */
  scryptCost?: number;
  /**
   * Where data lives: 'sqlite' (the default, in dataDir) or 'memory' (nothing is durable: for tests
   * and for benchmark experiments that show what the disk costs), a postgres:// URL (several nodes
   * share that database), or a Store of the caller's (tests).
   */
  store?: 'sqlite' | 'memory' | `postgres://${string}` | `postgresql://${string}` | Store;
  /** With a postgres:// store: how long the sessions of a node that stopped renewing its lease stay bound (ms; default 15 s). */
  leaseMs?: number;
  /** How long a pushed Send waits for the recipient's Ack before it is written (ms; see service.ts). */
  ackWaitMs?: number;
  /** The longest a pushed Send waits for the Ack of a recipient that acknowledges late (ms; see delivery.ts). */
  ackWaitMaxMs?: number;
  /** Most messages / content bytes waiting for one recipient (see service.ts); defaults there. */
  maxQueue?: number;
  maxQueueBytes?: number;
  /** Group limits: members per group, groups per account, how often GroupDelivered is pushed (groupLimits.ts); defaults there. */
  groups?: Partial<GroupLimits>;
  /** Login throttling and registration rate (see throttle.ts); defaults there. Per-address parts follow connections.limitLoopback. */
  throttle?: Partial<ThrottleOptions>;
  /** Per-connection pipeline limits (see transports/tcp.ts); defaults there. */
  limits?: Partial<PipelineLimits>;
  /** Idle, dead and too many connections (see transports/tcp.ts); defaults there. The total is kept below the open-file limit. */
  connections?: Partial<ConnectionLimits>;
  /** Also serve gRPC (src/protocol/chat.proto) on this port (0 = the OS picks); off when undefined. */
  grpcPort?: number;
  /** A connection whose unsent output exceeds this many bytes is dropped; default 8 MiB. */
  maxSendQueue?: number;
  /**
   * Log a `stats` line this often (milliseconds): event-loop delay percentiles over the interval,
   * process CPU and memory. Off when undefined.
   */
  statsIntervalMs?: number;
  /** How long a gRPC session token works after its Login, whatever the activity (ms; default 1 h). */
  tokenLifetimeMs?: number;
  /** Serve both transports over TLS with this PEM certificate (chain) and key. */
  tls?: TlsFiles;
  /** With TLS on the TCP port: a handshake not done within this long is cut (default in transports/tcp.ts). */
  tlsHandshakeTimeoutMs?: number;
  /** Answer bytes pending across all TCP connections together (transports/answerBudget.ts); default in transports/tcp.ts. */
  maxAnswerBytesTotal?: number;
  /** SQLite: room kept on disk so an Ack can still commit when the disk fills (store/diskReserve.ts); 0: none. */
  diskReserveBytes?: number;
  /** Serve `/metrics` (Prometheus text) and `/health` over HTTP on this port of `host` (0 = the OS picks); off when undefined. */
  metricsPort?: number;
  /** Where logs go; default: silent. */
  logger?: Logger;
}

export interface RunningServer {
  host: string;
  port: number;
  /** The gRPC port, when gRPC is on. */
  grpcPort?: number;
  /** The metrics port, when metrics are served. */
  metricsPort?: number;
  /** Absolute path of the data directory. */
  dataDir: string;
  /** Stops accepting, tells every connection the server is closing, closes them, flushes the store. */
  close(): Promise<void>;
}

/** Opens the store and starts listening; resolves once the port is bound. */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const dataDir = path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR);
  const log = opts.logger ?? pino({ level: 'silent' });
  const sqlite = opts.store === undefined || opts.store === 'sqlite';
  // One server per data directory, and nobody else's to read: before the database is opened.
  const release = sqlite ? claimDataDir(dataDir) : () => undefined;
  const store: Store =
    opts.store === 'memory'
      ? new MemoryStore()
      : sqlite
        ? new SqliteStore({ dataDir, log, ...(opts.diskReserveBytes !== undefined ? { reserveBytes: opts.diskReserveBytes } : {}) })
        : typeof opts.store === 'string'
          ? new PostgresStore({ url: opts.store, leaseMs: opts.leaseMs, log, mailbox: { maxQueue: opts.maxQueue, maxQueueBytes: opts.maxQueueBytes } })
          : (opts.store as Store);
  const hasher = new PasswordHasher({ cost: opts.scryptCost });
  const service = new ChatService(store, hasher, log, {
    ackWaitMs: opts.ackWaitMs,
    ackWaitMaxMs: opts.ackWaitMaxMs,
    maxQueue: opts.maxQueue,
    maxQueueBytes: opts.maxQueueBytes,
    throttle: opts.throttle,
    limitLoopback: opts.connections?.limitLoopback,
    groups: opts.groups,
  });
  try {
    await service.start();
  } catch (err) {
    await store.close().catch(() => undefined);
    release();
    throw err;
  }
  let transport: TcpTransport;
  let grpc: { port: number; closeAll(): Promise<void> } | undefined;
  try {
    const c = { ...DEFAULT_CONNECTION_LIMITS, ...opts.connections };
    // One budget for every socket, TCP, TLS (before its handshake) and gRPC alike, below the fd limit.
    const admission = new Admission(
      { maxConnections: fitConnectionCap(opts.connections?.maxConnections, log), maxPerAddress: c.maxPerAddress, limitLoopback: c.limitLoopback },
      log,
      service.metrics,
    );
    transport = await TcpTransport.listen(
      service,
      log,
      {
        host,
        port: opts.port ?? DEFAULT_PORT,
        maxSendQueue: opts.maxSendQueue,
        ...opts.limits,
        ...opts.connections,
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(opts.tlsHandshakeTimeoutMs !== undefined ? { tlsHandshakeTimeoutMs: opts.tlsHandshakeTimeoutMs } : {}),
        ...(opts.maxAnswerBytesTotal !== undefined ? { maxAnswerBytesTotal: opts.maxAnswerBytesTotal } : {}),
      },
      admission,
    );
    if (opts.grpcPort !== undefined) {
      // Loaded only when asked for, so a TCP-only server does not pay for gRPC.
      const { GrpcTransport } = await import('./transports/grpc.js');
      try {
        grpc = await GrpcTransport.listen(service, log, {
          host,
          port: opts.grpcPort,
          maxSendQueue: opts.maxSendQueue,
          tokenLifetimeMs: opts.tokenLifetimeMs,
          authTimeoutMs: c.authTimeoutMs,
          keepAliveMs: c.keepAliveMs,
          admission,
          ...(opts.tls ? { tls: opts.tls } : {}),
        });
      } catch (err) {
        transport.stopAccepting();
        await transport.closeAll();
        throw err;
      }
    }
  } catch (err) {
    await store.close();
    release();
    throw err;
  }
  const stopStats = opts.statsIntervalMs ? logStats(log, opts.statsIntervalMs, store) : undefined;
  let closing: Promise<void> | undefined;
  let metricsHttp: MetricsEndpoint | undefined;
  if (opts.metricsPort !== undefined) {
    try {
      metricsHttp = await serveMetrics(service.metrics, host, opts.metricsPort, log, () => closing !== undefined);
    } catch (err) {
      transport.stopAccepting();
      await Promise.all([transport.closeAll(), grpc?.closeAll()]);
      await store.close();
      release();
      throw err;
    }
  }
  const close = () =>
    (closing ??= (async () => {
      stopStats?.();
      // Reads no more requests; those already read are answered (the work done, or SHUTTING_DOWN),
      // and ServerClosing is the last frame each connection gets.
      transport.stopReading();
      await service.shutdown();
      transport.answerTheRest();
      service.announceClosing();
      await Promise.all([transport.closeAll(), grpc?.closeAll()]);
      await store.close();
      await metricsHttp?.close();
      release();
      log.info('server stopped');
    })());
  const where = sqlite ? { dataDir } : { store: store.shared ? `postgres, node ${store.shared.nodeId}` : store.constructor.name };
  log.info({ host, port: transport.port, grpcPort: grpc?.port, ...where, tls: opts.tls !== undefined }, 'listening');
  return {
    host,
    port: transport.port,
    ...(grpc ? { grpcPort: grpc.port } : {}),
    ...(metricsHttp ? { metricsPort: metricsHttp.port } : {}),
    dataDir,
    close,
  };
}

/** Logs event-loop delay (p50/p99/max in ms over the interval), CPU and RSS every `everyMs`; returns a stop function. */
function logStats(log: Logger, everyMs: number, store: Store): () => void {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let cpu = process.cpuUsage();
  let commits = store.stats.commits;
  let ops = store.stats.ops;
  const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
  const t = setInterval(() => {
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    log.info(
      {
        eventLoopDelayMs: { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
        cpuMs: { user: Math.round(used.user / 1e3), system: Math.round(used.system / 1e3) },
        rssMiB: Math.round(process.memoryUsage.rss() / 1048576),
        store: { commits: store.stats.commits - commits, ops: store.stats.ops - ops },
      },
      'stats',
    );
    h.reset();
    commits = store.stats.commits;
    ops = store.stats.ops;
  }, everyMs);
  t.unref();
  return () => {
    clearInterval(t);
    h.disable();
  };
}
