/**
 * Presence: the names the session watches (the visible users and the open conversations), sent
 * when the set changes and after every login, and the pushes that come while a Watch is answered.
 */
import { MAX_WATCH } from '../protocol/schema.js';
import { describe, isConnectionError, type ClientLike } from './link.js';
import { log } from './log.js';
import type { Action } from './state/index.js';

/** What presence needs of the session. */
export interface PresenceHost {
  client(): ClientLike | null;
  loggedIn(): boolean;
  dispatch(a: Action): void;
}

export class PresenceWatch {
  /** The names to watch, sorted. */
  private watching: readonly string[] = [];
  /** Watch requests not answered yet, and the presence pushes that came meanwhile (applied after the answer). */
  private inFlight = 0;
  private meanwhile: Array<{ name: string; online: boolean }> = [];

  constructor(private readonly host: PresenceHost) {}

  /** Watches these names (at most MAX_WATCH, the first ones); nothing is sent when the set is unchanged. */
  watch(names: readonly string[]): void {
    const next = [...new Set(names)].slice(0, MAX_WATCH).sort();
    if (next.length === this.watching.length && next.every((n, i) => n === this.watching[i])) return;
    this.watching = next;
    void this.send();
  }

  /** After a login: a new session watches nothing, so the names are sent again. */
  renew(): void {
    if (this.watching.length > 0) void this.send();
  }

  /** A PresenceChanged push. */
  changed(name: string, online: boolean): void {
    if (this.inFlight > 0) this.meanwhile.push({ name, online });
    else this.host.dispatch({ type: 'presence', changes: [{ name, online }] });
  }

  private async send(): Promise<void> {
    const c = this.host.client();
    if (!c || !this.host.loggedIn()) return;
    this.inFlight++;
    try {
      const online = await c.watch(this.watching);
      if (this.host.client() !== c) return;
      // Pushes that came before this answer may be older or newer than it: applied after it, in order.
      this.host.dispatch({ type: 'presence', online, changes: this.meanwhile });
    } catch (err) {
      if (!isConnectionError(err)) log('watch failed', describe(err));
    } finally {
      if (--this.inFlight === 0) this.meanwhile = [];
    }
  }
}
