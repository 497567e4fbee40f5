/**
 * "Delivered to k of n" for group messages. A receipt per member would cost as many pushes as the
 * message itself, so the node that stored a message counts its acknowledgements (from Acks here,
 * and from the other nodes' wake-ups) and pushes its sender one GroupDelivered per message whose
 * count changed, at most once per interval; the last one when every recipient has acknowledged it.
 * Counts live in memory, for the most recent messages only: a progress report, not a guarantee
 * (the messages themselves are kept until each member acknowledges them).
 */
import { FifoMap } from '../protocol/fifoMap.js';
import type { Core } from './session.js';

/** Group messages whose counts a node keeps (older ones are forgotten: no more GroupDelivered for them). */
export const TRACKED_GROUP_MESSAGES = 100_000;

interface Count {
  id: number;
  senderId: number;
  group: string;
  recipients: number;
  delivered: number;
  /** Changed since its last push. */
  dirty: boolean;
}

export class GroupReceipts {
  private readonly counts = new FifoMap<number, Count>(TRACKED_GROUP_MESSAGES);
  private dirty: Count[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly core: Core,
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs).unref();
  }

  /** A message was stored for `recipients` members: count its acknowledgements. */
  track(id: number, senderId: number, group: string, recipients: number): void {
    if (recipients > 0) this.counts.set(id, { id, senderId, group, recipients, delivered: 0, dirty: false });
  }

  /** These group messages were acknowledged, each by one member (an id twice: by two). */
  acked(ids: Iterable<number>): void {
    for (const id of ids) {
      const c = this.counts.get(id);
      if (c === undefined || c.delivered >= c.recipients) continue;
      c.delivered++;
      if (!c.dirty) {
        c.dirty = true;
        this.dirty.push(c);
      }
    }
  }

  /** Pushes the counts that changed to their senders online here. */
  flush(): void {
    if (this.dirty.length === 0) return;
    const list = this.dirty;
    this.dirty = [];
    for (const c of list) {
      c.dirty = false;
      const s = this.core.online.get(c.senderId);
      s?.sink.push({ type: 'GroupDelivered', group: c.group, id: c.id, delivered: c.delivered, recipients: c.recipients });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
