/**
 * What another node sharing the store did that matters to this one (a store for several nodes
 * only): messages for sessions here, a takeover of an account whose session is here, presence for
 * watchers here, receipts for senders here, accounts created and deleted elsewhere, and after a gap
 * in the link to the other nodes, catching up. The service's rules stay in service.ts; this applies
 * them to what the other nodes report.
 */
import { FifoMap } from '../protocol/fifoMap.js';
import { toPush } from './delivery.js';
import { noteGroupMessage, type Core, type Session } from './session.js';
import type { NodeEvent, StoredMessage } from './store/store.js';

/** The rules the handler applies, from the rule modules. */
export interface NodeRules {
  /** Tells the sessions watching `name`. */
  presence(name: string, online: boolean): void;
  /** Logs a session out (without telling its watchers) and pushes LoggedInElsewhere. */
  takeOver(s: Session): void;
  /** Pushes receipts to their sender here, or keeps them for its next Login. */
  sendReceipts(r: { senderId: number; ids: number[] }): void;
  /** Group acknowledgements and changes made elsewhere (groups.ts). */
  group(e: Extract<NodeEvent, { type: 'groupAcks' | 'groupChanged' }>): void;
}

/** Before a gap was noticed it may have begun already (a dead connection is found late; clocks differ). */
const GAP_MARGIN_MS = 10_000;

/** A message a wake-up brought, with the account it is for. */
type WokenMessage = Extract<NodeEvent, { type: 'messages' }>['messages'][number];

export class NodeEvents {
  /** The newest claim heard for an account from another node: a bind here may still be on its way. */
  private readonly takenOver: FifoMap<number, number>;
  /** Messages the wake-ups brought while the node catches up after a gap (pushed once it has). */
  private held: WokenMessage[] | undefined;
  private catching = false;
  /** Another gap came during the catch-up: it runs again. */
  private again = false;
  private rereadCount = 0;
  /** When the earliest gap being caught up began. */
  private gapSince = Infinity;

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
          // While the node catches up after a gap, what the wake-ups bring waits behind what it re-reads.
          if (this.held !== undefined) this.held.push(m);
          else this.push(session, m);
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
        this.catchUp(e.since);
        return;
      case 'groupMessages':
        // Pushed as one-to-one messages are, once to each recipient online here (held the same way during a catch-up).
        this.handle({
          type: 'messages',
          messages: e.messages.flatMap((m) => m.recipients.filter((r) => h.online.has(r)).map((recipientId) => ({ ...m, recipientId }))),
        });
        return;
      case 'groupAcks':
      case 'groupChanged':
        rules.group(e);
        return;
    }
  }

  /** Messages pushed from the database after a gap, not from a wake-up (for the operators' metric). */
  get rereadPushes(): number {
    return this.rereadCount;
  }

  /**
   * After a gap in the wake-ups (the listening connection dropped: the database restarted, the
   * network failed), wake-ups sent meanwhile are lost. So the node holds what new wake-ups bring,
   * re-reads from the database everything queued for its sessions that it has not pushed (all of it,
   * page by page, retrying until the database answers), pushes it in id order, then what it held,
   * and only then trusts the wake-ups again. A second gap during the catch-up starts it over.
   */
  private catchUp(since: number): void {
    this.gapSince = Math.min(this.gapSince, since);
    this.held ??= [];
    if (this.catching) {
      this.again = true;
      return;
    }
    this.catching = true;
    void this.catchUpLoop();
  }

  private async catchUpLoop(): Promise<void> {
    let waitMs = 100;
    for (;;) {
      this.again = false;
      try {
        await this.resync();
        if (!this.again) break;
      } catch (err) {
        this.core.log.warn({ err: (err as Error).message, retryMs: waitMs }, 'catching up with the other nodes failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
        waitMs = Math.min(waitMs * 2, 2000);
      }
    }
    const held = this.held ?? [];
    this.held = undefined;
    this.catching = false;
    this.gapSince = Infinity;
    held.sort((a, b) => a.id - b.id);
    for (const m of held) {
      const session = this.core.online.get(m.recipientId);
      if (session !== undefined && !session.delivered.has(m.id)) this.push(session, m);
    }
  }

  /** Binds this node's sessions again, reloads the directory, and pushes what waits for them. Throws if the database fails. */
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
    let pushed = 0;
    for (const s of [...h.online.values()]) pushed += await this.reread(s);
    // Receipts: those kept for the sessions here, and those whose wake-up may have been lost in the gap.
    for (const s of [...h.online.values()]) {
      const me = s.accountId!;
      const kept = await h.queue.run<number[]>({ op: 'takeReceipts', senderId: me });
      const recent = await h.queue.run<number[]>({ op: 'recentReceipts', senderId: me, since: this.gapSince - GAP_MARGIN_MS });
      rules.sendReceipts({ senderId: me, ids: [...new Set([...kept, ...recent])].sort((a, b) => a - b) });
    }
    h.log.info({ sessions: mine.length, lost: lost.length, pushed }, 'caught up with the other nodes');
  }

  /** Pushes, page by page in id order, every message queued for the session that it has not been pushed. */
  private async reread(s: Session): Promise<number> {
    const me = s.accountId!;
    let after = 0;
    let pushed = 0;
    for (;;) {
      const page = await this.core.queue.run<{ messages: StoredMessage[]; remaining: number }>({
        op: 'fetch',
        recipientId: me,
        max: this.core.limits.maxFetch,
        after,
      });
      if (s.accountId !== me) return pushed;
      for (const m of page.messages) {
        if (s.delivered.has(m.id)) continue;
        this.push(s, m);
        pushed++;
      }
      if (page.remaining === 0 || page.messages.length === 0) break;
      after = page.messages.at(-1)!.id;
    }
    this.rereadCount += pushed;
    this.core.metrics.pushesReread(pushed);
    return pushed;
  }

  private push(s: Session, m: StoredMessage): void {
    s.delivered.add(m.id);
    if (m.group !== undefined) noteGroupMessage(s, m.id);
    s.sink.push(toPush(m));
  }
}
