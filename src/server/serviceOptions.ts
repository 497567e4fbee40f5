/** The service's tunable limits and their defaults, in one place (the CLI's option table and README take them from here). */
import type { Metrics } from './metrics.js';
import type { ThrottleOptions } from './throttle.js';
import type { GroupLimits } from './groupLimits.js';

export interface ServiceOptions {
  /** Largest page a ListAccounts answers; a limit of 0 means this. */
  maxListLimit?: number;
  /** Largest MessageBatch; keeps the frame well under the size limit. */
  maxFetch?: number;
  /** How long a (sender, clientId) pair is remembered for resends. */
  dedupWindowMs?: number;
  /** Most operations in one group commit. */
  maxBatch?: number;
  /**
   * How long a Send pushed to an online recipient waits for the recipient's Ack before it goes to
   * the store: acknowledged in time, it is never written (0 writes every message).
   */
  ackWaitMs?: number;
  /**
   * The longest such wait: a recipient that acknowledges late (a busy, pipelined stream) gets a wait
   * of twice its recent push-to-Ack delay, up to this, so its messages are still not written.
   */
  ackWaitMaxMs?: number;
  /** Most messages waiting for one recipient (queued or not yet committed); past it a Send is MAILBOX_FULL. */
  maxQueue?: number;
  /** Most content bytes waiting for one recipient; past it a Send is MAILBOX_FULL. */
  maxQueueBytes?: number;
  /** Login throttling and registration rates (see throttle.ts); defaults there. */
  throttle?: Partial<ThrottleOptions>;
  /** Whether the per-address limits apply to loopback addresses too (default: they do not). */
  limitLoopback?: boolean;
  /** Where the service counts what operators watch (a registry of its own when not given). */
  metrics?: Metrics;
  /** Group limits (members, groups per account, receipt interval); defaults in groupLimits.ts. */
  groups?: Partial<GroupLimits>;
}

/** ServiceOptions with every limit set. */
export type ServiceLimits = Required<Omit<ServiceOptions, 'throttle' | 'limitLoopback' | 'metrics' | 'groups'>>;

export const SERVICE_DEFAULTS: ServiceLimits = {
  maxListLimit: 500,
  maxFetch: 200,
  dedupWindowMs: 24 * 60 * 60 * 1000,
  maxBatch: 1024,
  ackWaitMs: 2,
  ackWaitMaxMs: 25,
  maxQueue: 10_000,
  maxQueueBytes: 4 * 1024 * 1024,
};

/** The options with the defaults filled in. */
export function resolveLimits(opts: ServiceOptions): ServiceLimits {
  const d = SERVICE_DEFAULTS;
  return {
    maxListLimit: opts.maxListLimit ?? d.maxListLimit,
    maxFetch: opts.maxFetch ?? d.maxFetch,
    dedupWindowMs: opts.dedupWindowMs ?? d.dedupWindowMs,
    maxBatch: opts.maxBatch ?? d.maxBatch,
    ackWaitMs: opts.ackWaitMs ?? d.ackWaitMs,
    ackWaitMaxMs: Math.max(opts.ackWaitMs ?? d.ackWaitMs, opts.ackWaitMaxMs ?? d.ackWaitMaxMs),
    maxQueue: opts.maxQueue ?? d.maxQueue,
    maxQueueBytes: opts.maxQueueBytes ?? d.maxQueueBytes,
  };
}
