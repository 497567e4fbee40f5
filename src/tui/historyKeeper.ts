/**
 * The session's use of the history file: opened per login, written as messages are shown and sent,
 * searched, exported, deleted with the account. A disk problem is reported once and never stops the
 * chat (the file is closed, and the session goes on without it).
 */
import { History, type OutboxRow } from './history.js';
import { describe } from './link.js';
import { log } from './log.js';
import type { Action, Entry, StoredMessage } from './state/index.js';
import { entryOfStored } from './state/conversations.js';

/**
 * How many of the newest messages are brought back on screen at login (`--scrollback`). The rest
 * stay on disk and /search finds them: a bounded scrollback, as irssi and weechat keep, holds the
 * client's memory down however long the history grows.
 */
export const DEFAULT_SCROLLBACK = 2_000;

/** Settings kept in the history file. */
const DRAFT = 'draft';
const CLEARED = 'cleared';

export class HistoryKeeper {
  private history: History | null = null;

  /** `dir` null or undefined: no history at all. */
  constructor(
    private readonly dir: string | null | undefined,
    private readonly server: string,
    private readonly dispatch: (a: Action) => void,
    private readonly limit = DEFAULT_SCROLLBACK,
  ) {}

  /** Whether a history file is open (then the outbox is on disk). */
  get isOpen(): boolean {
    return this.history !== null;
  }

  /** Opens the history of `account` (closing any other) and returns its newest messages. */
  open(account: string): StoredMessage[] {
    this.close();
    if (!this.dir) return [];
    try {
      this.history = History.open(this.dir, this.server, account);
      return this.history.recent(this.limit);
    } catch (err) {
      log('history open failed', describe(err));
      this.dispatch({ type: 'notice', text: `no history this time: ${describe(err)}` });
      this.close();
      return [];
    }
  }

  /** Runs `f` on the open history; a failure is reported, the file closed, and `fallback` returned. */
  private use<T>(f: (h: History) => T, fallback: T): T {
    if (!this.history) return fallback;
    try {
      return f(this.history);
    } catch (err) {
      log('history write failed', describe(err));
      this.dispatch({ type: 'error', text: `history not saved: ${describe(err)}` });
      this.close();
      return fallback;
    }
  }

  /** Adds messages to the open history, if any. */
  keep(msgs: readonly StoredMessage[]): void {
    if (msgs.length > 0) this.use((h) => h.add(msgs), undefined);
  }

  /** Records that our messages with these ids were delivered (a receipt). */
  delivered(ids: readonly number[]): void {
    if (ids.length > 0) this.use((h) => h.setDelivery(ids, 'delivered'), undefined);
  }

  /** The outbox on disk, in order ([] without a file). */
  outbox(): OutboxRow[] {
    return this.use((h) => h.outbox(), []);
  }

  /** Puts a message in the outbox on disk; false when there is no file to keep it in. */
  addOutgoing(m: OutboxRow): boolean {
    return this.use((h) => (h.addOutgoing(m), true), false);
  }

  /** An outbox message was accepted: it moves into the messages. */
  accepted(clientId: number, m: StoredMessage): void {
    this.use((h) => h.accepted(clientId, m), undefined);
  }

  /** An outbox message was refused for good. */
  dropOutgoing(clientId: number): void {
    this.use((h) => h.dropOutgoing(clientId), undefined);
  }

  /** A client message id unused by this account's file, or undefined without one. */
  takeClientId(): number | undefined {
    return this.use<number | undefined>((h) => h.takeClientId(), undefined);
  }

  /** Keeps a line typed in a session that was taken over, for the next login. */
  keepDraft(text: string, at = Date.now()): void {
    this.use((h) => h.set(DRAFT, JSON.stringify({ text, at })), undefined);
  }

  /**
   * The kept draft, handed over once, to a login that began after it was kept: not to the login
   * that took the session over (it began first, and would get it or not depending on which of
   * the two processes wrote first).
   */
  takeDraft(loginBegan: number): string | undefined {
    return this.use((h) => {
      const raw = h.get(DRAFT);
      if (raw === undefined) return undefined;
      let d: { text?: unknown; at?: unknown };
      try {
        d = JSON.parse(raw) as typeof d;
      } catch {
        d = {};
      }
      if (typeof d.at === 'number' && d.at > loginBegan) return undefined;
      h.set(DRAFT, null);
      return typeof d.text === 'string' ? d.text : undefined;
    }, undefined);
  }

  /** Per view ('' the inbox), the server id /clear hid messages up to. */
  cleared(): Record<string, number> {
    return this.use((h) => {
      try {
        return JSON.parse(h.get(CLEARED) ?? '{}') as Record<string, number>;
      } catch {
        return {};
      }
    }, {});
  }

  /** /clear in `view` ('' the inbox) hid messages up to `upToId`. */
  keepClear(view: string, upToId: number): void {
    if (upToId > 0) this.use((h) => h.set(CLEARED, JSON.stringify({ ...this.cleared(), [view]: upToId })), undefined);
  }

  /** Every message kept, oldest first, or null when no history is open. */
  all(): Iterable<StoredMessage> | null {
    return this.history ? this.history.all() : null;
  }

  /** Matches as view entries, or null when no history is open (search memory instead). */
  search(query: string): Entry[] | null {
    if (!this.history) return null;
    return this.history.search(query).map((m, i) => entryOfStored(m, `s${m.own ? 'o' : 'i'}${m.id}@${m.sentAt}`, i + 1));
  }

  close(): void {
    try {
      this.history?.close();
    } catch (err) {
      log('history close failed', describe(err));
    }
    this.history = null;
  }

  /** Deletes the file: a deleted account's name must not read its history later. */
  destroy(): void {
    try {
      this.history?.destroy();
    } catch (err) {
      log('history delete failed', describe(err));
    }
    this.history = null;
  }
}
