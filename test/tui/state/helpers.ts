/** Shared helpers for the reducer tests. */
import { initialState, reduce, type Action, type IncomingMessage, type State } from '../../../src/tui/state/index.js';

export const run = (s: State, ...actions: Action[]): State => actions.reduce(reduce, s);

export const msg = (id: number, sender = 'alice', text = `m${id}`, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  id,
  sender,
  clientId: 0,
  flags: 0,
  sentAt: Date.UTC(2026, 10, 30, 12, 0) + id * 1000,
  text,
  ...extra,
});

export const arrive = (...m: IncomingMessage[]): Action => ({ type: 'messages', messages: m, live: true });

export const typed = (text: string): Action => ({ type: 'edit', field: 'compose', op: { insert: text } });

/** Logged in as `me`, connected, with a message pane of `rows` x `width`. */
export const loggedIn = (me = 'bob', rows = 10, width = 60): State =>
  run(
    initialState(),
    { type: 'conn', status: 'connected' },
    { type: 'layout', usersPageSize: 5, messageRows: rows, messageWidth: width },
    { type: 'loggedIn', me, undelivered: 0 },
  );

export const texts = (s: State): string[] => s.convs.entries.map((e) => e.text);
