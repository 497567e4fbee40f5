/** Collects one kind of event of a client (group messages, changes, delivery counts) for the group tests. */
import type { EventEmitter } from 'node:events';
import type { ClientEvents } from '../../src/protocol/client.js';

type Listener<E extends keyof ClientEvents> = (...args: ClientEvents[E]) => void;

/** Any client with ChatClient's events (ChatClient, GrpcChatClient: EventEmitters typed by their own event maps). */
type Emitting = Pick<EventEmitter, 'on'> | { on(event: never, f: never): unknown };

/** The first argument of each `event` in arrival order; `until(n)` resolves once n have come, `next()` with the next one. */
export function collect<E extends keyof ClientEvents>(
  c: Emitting,
  event: E,
): { items: Array<ClientEvents[E][0]>; until(n: number): Promise<Array<ClientEvents[E][0]>>; next(): Promise<ClientEvents[E][0]> } {
  const items: Array<ClientEvents[E][0]> = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  (c as Pick<EventEmitter, 'on'>).on(event, ((...args: ClientEvents[E]) => {
    items.push(args[0]);
    for (const w of [...waiters]) {
      if (items.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }) as Listener<E> as (...args: unknown[]) => void);
  const until = async (n: number) => {
    if (items.length < n) await new Promise<void>((resolve) => waiters.push({ n, resolve }));
    return items;
  };
  let taken = 0;
  return {
    items,
    until,
    async next() {
      taken++;
      return (await until(taken))[taken - 1]!;
    },
  };
}
