/**
 * A bench-only in-memory Store: no disk, no SQL. Used only by the "store cost" experiment
 * (`npm run bench -- --memory-store`) to show how much of termchat's time is SQLite + fsync and how
 * much is protocol, service and transport. Not durable; never used by the server itself.
 */
import type { Account, AppendInput, AppendResult, DeleteResult, Store, StoredMessage } from '../../src/server/store/store.js';

interface Row extends StoredMessage {
  recipientId: number;
  senderId: number;
}

export class MemoryStore implements Store {
  private accounts = new Map<number, Account & { deleted: boolean }>();
  private byName = new Map<string, number>();
  private queues = new Map<number, Row[]>();
  private sends = new Map<string, { id: number; recipientId: number; sentAt: number }>();
  private nextAccount = 1;
  private nextMessage = 1;

  async createAccount(name: string, hash: string): Promise<number | undefined> {
    if (this.byName.has(name)) return undefined;
    const id = this.nextAccount++;
    this.accounts.set(id, { id, name, hash, deleted: false });
    this.byName.set(name, id);
    return id;
  }
  async findAccount(name: string): Promise<Account | undefined> {
    const id = this.byName.get(name);
    const a = id === undefined ? undefined : this.accounts.get(id);
    return a && { id: a.id, name: a.name, hash: a.hash };
  }
  async isLive(id: number): Promise<boolean> {
    return this.accounts.get(id)?.deleted === false;
  }
  async deleteAccount(id: number, force: boolean): Promise<DeleteResult> {
    const waiting = this.queues.get(id)?.length ?? 0;
    if (waiting > 0 && !force) return { deleted: false, waiting };
    const a = this.accounts.get(id);
    if (a) {
      a.deleted = true;
      this.byName.delete(a.name);
    }
    this.queues.delete(id);
    return { deleted: true };
  }
  async listAccounts(pattern: string, offset: number, limit: number): Promise<{ total: number; names: string[] }> {
    const re = new RegExp(`^${pattern.replace(/[.\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const all = [...this.byName.keys()].filter((n) => re.test(n)).sort();
    return { total: all.length, names: all.slice(offset, offset + limit) };
  }
  async appendMessage(i: AppendInput): Promise<AppendResult> {
    const key = `${i.senderId}:${i.clientId}`;
    const prev = this.sends.get(key);
    if (prev && prev.sentAt >= i.sentAt - i.dedupWindowMs) return { ok: true, id: prev.id, recipientId: prev.recipientId, sentAt: prev.sentAt, duplicate: true };
    const to = this.byName.get(i.recipientName);
    if (to === undefined) return { ok: false, noSuchRecipient: true };
    const id = this.nextMessage++;
    const sender = this.accounts.get(i.senderId)!;
    let q = this.queues.get(to);
    if (!q) this.queues.set(to, (q = []));
    q.push({ id, senderId: i.senderId, recipientId: to, senderName: sender.name, clientId: i.clientId, flags: i.flags, senderDeleted: false, sentAt: i.sentAt, content: i.content });
    this.sends.set(key, { id, recipientId: to, sentAt: i.sentAt });
    return { ok: true, id, recipientId: to, sentAt: i.sentAt, duplicate: false };
  }
  async fetchQueued(id: number, max: number): Promise<{ messages: StoredMessage[]; remaining: number }> {
    const q = this.queues.get(id) ?? [];
    const messages = q.slice(0, max).map((r) => ({ ...r, senderDeleted: this.accounts.get(r.senderId)?.deleted ?? true }));
    return { messages, remaining: q.length - messages.length };
  }
  async ack(id: number, ids: readonly number[]): Promise<number> {
    const q = this.queues.get(id);
    if (!q) return 0;
    const gone = new Set(ids);
    const keep = q.filter((m) => !gone.has(m.id));
    this.queues.set(id, keep);
    return q.length - keep.length;
  }
  async countQueued(id: number): Promise<number> {
    return this.queues.get(id)?.length ?? 0;
  }
  async close(): Promise<void> {}
}
