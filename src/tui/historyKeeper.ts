/**
 * The session's use of the history file: opened per login, written as messages are shown, searched,
 * deleted with the account. A disk problem is reported once and never stops the chat.
 */
import { History } from './history.js';
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

export class HistoryKeeper {
  private history: History | null = null;

  /** `dir` null or undefined: no history at all. */
  constructor(
    private readonly dir: string | null | undefined,
    private readonly server: string,
    private readonly dispatch: (a: Action) => void,
    private readonly limit = DEFAULT_SCROLLBACK,
  ) {}

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

  /** Adds messages to the open history, if any. */
  keep(msgs: readonly StoredMessage[]): void {
    if (!this.history || msgs.length === 0) return;
    try {
      this.history.add(msgs);
    } catch (err) {
      log('history write failed', describe(err));
      this.dispatch({ type: 'error', text: `history not saved: ${describe(err)}` });
      this.close();
    }
  }

  /** Records that our messages with these ids were delivered (a receipt). */
  delivered(ids: readonly number[]): void {
    if (!this.history || ids.length === 0) return;
    try {
      this.history.setDelivery(ids, 'delivered');
    } catch (err) {
      log('history write failed', describe(err));
      this.dispatch({ type: 'error', text: `history not saved: ${describe(err)}` });
      this.close();
    }
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
