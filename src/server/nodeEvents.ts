/**
 * What another node sharing the store did that matters to this one (a store for several nodes
 * only): messages for sessions here, a takeover of an account whose session is here, presence for
 * watchers here, receipts for senders here, accounts created and deleted elsewhere, and after a gap
 * in the link to the other nodes, catching up. The service's rules stay in service.ts; this applies
 * them to what the other nodes report.
 */
import { FifoMap } from '../protocol/fifoMap.js';
import { toPush } from './delivery.js';
import type { Core, Session } from './session.js';
import type { NodeEvent, StoredMessage } from './store/store.js';

/** The rules the handler applies, from the rule modules. */
export interface NodeRules {
  /** Tells the sessions watching `name`. */
  presence(name: string, online: boolean): void;
  /** Logs a session out (without telling its watchers) and pushes LoggedInElsewhere. */
  takeOver(s: Session): void;
  /** Pushes receipts to their sender here, or keeps them for its next Login. */
  sendReceipts(r: { senderId: number; ids: number[] }): void;
}

export class NodeEvents {
  /** The newest claim heard for an account from another node: a bind here may still be on its way. */
  private readonly takenOver: FifoMap<number, number>;

  constructor(
    private readonly core: Core,
    private readonly rules: NodeRules,
    remember: number,
  ) {
    this.takenOver = new FifoMap(remember);
  }

  /** Whether a login elsewhere has claimed the account after `claim`. */
  overtaken(accountId: number, claim: number): boolean {
    return (this.takenOver.get(accountId) ?? 0) > claim;
  }

  handle(e: NodeEvent): void {
    const { core: h, rules } = this;
    switch (e.type) {
      case 'messages':
        for (const m of e.messages) {
          const session = h.online.get(m.recipientId);
          if (session === undefined || session.delivered.has(m.id)) continue;
          session.delivered.add(m.id);
          session.sink.push(toPush(m));
        }
        return;
      case 'takeover': {
        this.takenOver.set(e.accountId, Math.max(e.claim, this.takenOver.get(e.accountId) ?? 0));
        const session = h.online.get(e.accountId);
        if (session !== undefined && session.claim !== undefined && session.claim < e.claim) rules.takeOver(session);
        return;
      }
      case 'presence':
        rules.presence(e.name, e.online);
        return;
      case 'receipts':
        // Gone from here meanwhile: sendReceipts keeps them for its next Login.
        rules.sendReceipts({ senderId: e.senderId, ids: e.ids });
        return;
      case 'account':
        if (e.live) h.directory.set(e.name, e.id);
        else {
          if (h.directory.get(e.name) === e.id) h.directory.delete(e.name);
          h.queued.delete(e.id);
        }
        return;
      case 'resync':
        this.resync().catch((err: unknown) => h.log.error({ err }, 'catching up with the other nodes failed'));
        return;
    }
  }

  /**
   * After a gap in the link to the other nodes (or a lost lease): bind this node's sessions again,
   * reload the directory and push whatever waits for them. A wake-up missed in the gap is still in
   * its recipient's queue.
   */
  private async resync(): Promise<void> {
    const { core: h, rules } = this;
    const mine = [...h.online.values()].filter((s) => s.claim !== undefined);
    const lost = await h.queue.run<number[]>({
      op: 'rebind',
      sessions: mine.map((s) => ({ accountId: s.accountId!, name: s.username!, claim: s.claim! })),
    });
    for (const id of lost) {
      const s = h.online.get(id);
      if (s !== undefined) rules.takeOver(s);
    }
    const accounts = await h.queue.run<Array<[string, number]>>({ op: 'accounts' });
    h.directory.clear();
    for (const [name, id] of accounts) h.directory.set(name, id);
    for (const s of h.online.values()) {
      const me = s.accountId!;
      h.queue.add({ op: 'fetch', recipientId: me, max: h.limits.maxFetch }, (r) => {
        if (!r.ok || s.accountId !== me) return;
        for (const m of (r.value as { messages: StoredMessage[] }).messages) {
          if (s.delivered.has(m.id)) continue;
          s.delivered.add(m.id);
          s.sink.push(toPush(m));
        }
      });
      h.queue.add({ op: 'takeReceipts', senderId: me }, (r) => {
        if (r.ok) rules.sendReceipts({ senderId: me, ids: r.value as number[] });
        else h.log.error({ err: r.error }, 'reading receipts failed');
      });
    }
    h.log.info({ sessions: mine.length, lost: lost.length }, 'caught up with the other nodes');
  }
}
