/** Records a client's receipt and presence events in arrival order, for the tests of those pushes. */
import type { ClientEvents } from '../../src/protocol/client.js';

export type Recorded = { delivered: number[] } | { name: string; online: boolean };

/** Any client with ChatClient's receipt and presence events (ChatClient, GrpcChatClient). */
interface Recordable {
  on(event: 'delivered', f: (...args: ClientEvents['delivered']) => void): unknown;
  on(event: 'presence', f: (...args: ClientEvents['presence']) => void): unknown;
}

export function record(c: Recordable): {
  events: Recorded[];
  until(n: number): Promise<Recorded[]>;
} {
  const events: Recorded[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const add = (e: Recorded) => {
    events.push(e);
    for (const w of [...waiters]) {
      if (events.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  c.on('delivered', (ids) => add({ delivered: ids }));
  c.on('presence', (name, online) => add({ name, online }));
  return {
    events,
    async until(n) {
      if (events.length < n) await new Promise<void>((resolve) => waiters.push({ n, resolve }));
      return events;
    },
  };
}
