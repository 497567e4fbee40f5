/**
 * Presence: who watches whom (Watch) and the PresenceChanged pushes. Nobody's presence is broadcast:
 * a change costs one push per session that watches the name.
 */
import { MAX_WATCH } from '../protocol/schema.js';
import { accountOf, ServiceError, storageError, type Core, type Reply, type Session } from './session.js';

export class Presence {
  /** Watched name -> the sessions watching it. */
  private readonly watchers = new Map<string, Set<Session>>();

  constructor(private readonly core: Core) {}

  /** Watch: replaces the session's watch set and answers which of the names are online now. */
  watch(s: Session, names: readonly string[], reply: Reply): void {
    accountOf(s);
    if (names.length > MAX_WATCH) throw new ServiceError('INVALID_ARGUMENT', `watch at most ${MAX_WATCH} names`);
    this.setWatch(s, names);
    const watching = s.watching;
    const { shared, queue, online, directory } = this.core;
    if (shared === undefined) {
      reply({
        type: 'Presence',
        online: watching.filter((name) => {
          const id = directory.get(name);
          return id !== undefined && online.has(id);
        }),
      });
      return;
    }
    // A shared store: the database knows the sessions of every node.
    queue.add({ op: 'online', names: watching }, (r) => {
      if (!r.ok) {
        reply(storageError(r.error));
        return;
      }
      const on = new Set(r.value as string[]);
      reply({ type: 'Presence', online: watching.filter((n) => on.has(n)) });
    });
  }

  /** Replaces the names a session watches (none: it stops watching). */
  setWatch(s: Session, names: readonly string[]): void {
    for (const name of s.watching) {
      const set = this.watchers.get(name);
      if (set?.delete(s) && set.size === 0) this.watchers.delete(name);
    }
    s.watching = [...new Set(names)];
    for (const name of s.watching) {
      const set = this.watchers.get(name);
      if (set) set.add(s);
      else this.watchers.set(name, new Set([s]));
    }
  }

  /** Tells the sessions watching `name` that it came online or went offline. */
  announce(name: string, online: boolean): void {
    for (const w of this.watchers.get(name) ?? []) w.sink.push({ type: 'PresenceChanged', name, online: online ? 1 : 0 });
  }
}
