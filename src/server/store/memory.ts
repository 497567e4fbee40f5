/**
 * An in-memory Store with the same rules as the SQLite one and no durability: for tests of the
 * layers above the store, and for the benchmark's experiment that shows what the disk costs.
 */
import { contentDigest } from './digest.js';
import type { Account, DeleteResult, Receipt, InsertOp, InsertResult, Op, OpenState, OpResult, Store, StoredMessage } from './store.js';
import { wildcardToRegExp } from '../rules.js';
import { isGroupOp, mergePages } from './groupOps.js';
import { MemoryGroups } from './memoryGroups.js';

interface Row {
  id: number;
  senderId: number;
  clientId: number;
  flags: number;
  sentAt: number;
  content: string;
}

interface AccountRow extends Account {
  deleted: boolean;
}

export class MemoryStore implements Store {
  private readonly accounts = new Map<number, AccountRow>();
  private readonly byName = new Map<string, number>();
  private readonly queues = new Map<number, Map<number, Row>>();
  /** Kept delivery receipts: sender id -> message ids. */
  private readonly receipts = new Map<number, number[]>();
  private readonly sends = new Map<string, { messageId: number; recipientId: number; sentAt: number; digest: number; ackedAt?: number }>();
  private nextAccount = 1;
  /** Largest message id used or reserved, as the SQLite store keeps it. */
  private maxId = 0;
  /** Batches run (for tests). */
  readonly stats = { commits: 0, ops: 0 };
  private readonly groups = new MemoryGroups({ account: (id) => this.accounts.get(id), sends: this.sends });

  async open(): Promise<OpenState> {
    const queues: OpenState['queues'] = [];
    for (const [id, q] of this.queues) {
      let bytes = 0;
      for (const r of q.values()) bytes += r.content.length;
      if (q.size > 0) queues.push([id, q.size, bytes]);
    }
    return { accounts: [...this.byName.entries()], nextMessageId: this.maxId + 1, queues };
  }

  async run(batch: readonly Op[]): Promise<OpResult[]> {
    this.stats.commits++;
    this.stats.ops += batch.length;
    return batch.map((op): OpResult => {
      try {
        return { ok: true, value: this.apply(op) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    });
  }

  async close(): Promise<void> {}

  private apply(op: Op): unknown {
    switch (op.op) {
      case 'insert':
        return this.insert(op);
      case 'ack': {
        const q = this.queues.get(op.recipientId);
        const receipts: Receipt[] = [];
        let bytes = 0;
        for (const id of op.ids) {
          const row = q?.get(id);
          if (row && q!.delete(id)) {
            receipts.push({ id, senderId: row.senderId });
            bytes += row.content.length;
            const send = row.clientId === 0 ? undefined : this.sends.get(`${row.senderId}:${row.clientId}`);
            if (send?.messageId === id) send.ackedAt = Date.now();
          }
        }
        return { receipts, bytes };
      }
      case 'recentReceipts': {
        const ids: number[] = [];
        for (const [k, v] of this.sends) if (k.startsWith(`${op.senderId}:`) && (v.ackedAt ?? -1) >= op.since) ids.push(v.messageId);
        return ids.sort((a, b) => a - b);
      }
      case 'addReceipts':
        for (const r of op.receipts) {
          if (this.accounts.get(r.senderId)?.deleted !== false) continue;
          let ids = this.receipts.get(r.senderId);
          if (!ids) this.receipts.set(r.senderId, (ids = []));
          ids.push(r.id);
        }
        return null;
      case 'takeReceipts': {
        const ids = this.receipts.get(op.senderId) ?? [];
        this.receipts.delete(op.senderId);
        return ids.sort((a, b) => a - b);
      }
      case 'fetch': {
        const after = op.after ?? 0;
        const q = [...(this.queues.get(op.recipientId)?.values() ?? [])].filter((r) => r.id > after).sort((a, b) => a.id - b.id);
        const messages: StoredMessage[] = q.slice(0, op.max).map((r) => {
          const sender = this.accounts.get(r.senderId)!;
          return { id: r.id, senderName: sender.name, clientId: r.clientId, flags: r.flags, senderDeleted: sender.deleted, sentAt: r.sentAt, content: r.content };
        });
        return mergePages({ messages, total: q.length }, this.groups.fetch(op.recipientId, op.max, after), op.max);
      }
      case 'count':
        return (this.queues.get(op.recipientId)?.size ?? 0) + this.groups.count(op.recipientId);
      case 'findAccount': {
        const id = this.byName.get(op.name);
        const a = id === undefined ? undefined : this.accounts.get(id)!;
        return a && { id: a.id, name: a.name, hash: a.hash };
      }
      case 'createAccount': {
        if (this.byName.has(op.name)) return undefined;
        const id = this.nextAccount++;
        this.accounts.set(id, { id, name: op.name, hash: op.hash, deleted: false });
        this.byName.set(op.name, id);
        return id;
      }
      case 'deleteAccount': {
        const waiting = (this.queues.get(op.accountId)?.size ?? 0) + this.groups.count(op.accountId);
        if (waiting > 0 && !op.force) return { deleted: false, waiting } satisfies DeleteResult;
        const groups = this.groups.leaveAll(op.accountId);
        const a = this.accounts.get(op.accountId);
        if (a && !a.deleted) {
          a.deleted = true;
          a.hash = '';
          this.byName.delete(a.name);
        }
        this.queues.delete(op.accountId);
        this.receipts.delete(op.accountId);
        for (const k of this.sends.keys()) if (k.startsWith(`${op.accountId}:`)) this.sends.delete(k);
        return (groups.length > 0 ? { deleted: true, groups } : { deleted: true }) satisfies DeleteResult;
      }
      case 'list': {
        const re = wildcardToRegExp(op.pattern);
        const all = [...this.byName.keys()].filter((n) => re.test(n)).sort();
        return { total: all.length, names: all.slice(op.offset, op.offset + op.limit) };
      }
      default:
        if (isGroupOp(op)) return this.groups.apply(op);
        throw new Error(`unknown store operation ${(op as { op: string }).op}`);
      case 'reserveIds':
        this.maxId = Math.max(this.maxId, op.upTo);
        return null;
      case 'prune': {
        let n = 0;
        for (const [k, v] of this.sends) if (v.sentAt < op.before && this.sends.delete(k)) n++;
        return n;
      }
    }
  }

  private insert(i: InsertOp): InsertResult {
    const to = this.accounts.get(i.recipientId);
    if (!to || to.deleted) return { stored: false, noSuchRecipient: true };
    const key = `${i.senderId}:${i.clientId}`;
    const digest = contentDigest(i.content);
    if (i.clientId !== 0) {
      const prev = this.sends.get(key);
      if (prev && prev.sentAt >= i.dedupSince) {
        const same = prev.recipientId === i.recipientId && prev.digest === digest;
        return same ? { stored: false, duplicateOf: prev.messageId } : { stored: false, reused: true };
      }
    }
    this.maxId = Math.max(this.maxId, i.id);
    let q = this.queues.get(i.recipientId);
    if (!q) this.queues.set(i.recipientId, (q = new Map()));
    q.set(i.id, { id: i.id, senderId: i.senderId, clientId: i.clientId, flags: i.flags, sentAt: i.sentAt, content: i.content.toString('latin1') });
    if (i.clientId !== 0) this.sends.set(key, { messageId: i.id, recipientId: i.recipientId, sentAt: i.sentAt, digest });
    return { stored: true };
  }
}
