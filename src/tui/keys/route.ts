/**
 * The one place a key goes. ink hands every key to every active useInput, so the App has a single
 * one that routes each key, on the latest state, to exactly one command of the keymap: the first
 * binding that matches in the scopes active now, in order. Printable text always lands in the
 * message line, whatever pane has the focus; panes act only on keys that cannot be text.
 */
import type { State } from '../state/index.js';
import type { KeyContext } from './context.js';
import { editedField, HANDLERS } from './handlers.js';
import { KEYMAP, type Binding, type Scope } from './keymap.js';
import { pressed, type Pressed } from './match.js';
import { tokenize, type KeyLike } from './tokens.js';

const SCOPES = new Map(KEYMAP.map((s) => [s.scope, s.bindings]));

/** The scopes whose keys act in this state, the first one first. */
export function scopesFor(s: State): readonly Scope[] {
  if (s.screen === 'login') return ['login', 'line'];
  switch (s.dialogs.overlay) {
    case 'help':
    case 'quit':
    case 'split':
    case 'paste':
      return [s.dialogs.overlay];
    case 'delete': {
      const { step } = s.dialogs.del;
      return step === 'busy' ? [] : step === 'confirm' ? ['deleteConfirm'] : ['deletePassword', 'line'];
    }
    case 'none':
      break;
  }
  // The focused pane's keys come before the rest (Up scrolls the messages, selects a user, or recalls a line).
  const pane: Scope[] = s.focus === 'messages' ? ['messages'] : s.focus === 'users' ? ['users'] : [];
  return [...pane, 'main', 'line'];
}

/** The binding a key gives in this state, if any. */
export function bindingFor(s: State, p: Pressed): Binding | undefined {
  for (const scope of scopesFor(s)) {
    const b = SCOPES.get(scope)!.find((b) => b.keys.some((k) => k.matches(p)));
    if (b) return b;
  }
  return undefined;
}

/** Routes one key: runs the command it is bound to here, or nothing. */
export function routeKey(s: State, input: string, key: KeyLike, ctx: KeyContext): void {
  const b = bindingFor(s, pressed(input, key));
  if (b) HANDLERS[b.command](s, ctx, input);
}

/** Routes every key of an input chunk, each on the state the previous one left. */
export function routeInput(get: () => State, input: string, key: KeyLike, ctx: KeyContext): void {
  for (const [i, k] of tokenize(input, key)) routeKey(get(), i, k, ctx);
}

/**
 * A bracketed paste: text for the line being edited, never a key (a pasted "y" answers no question,
 * a pasted line break sends nothing). In the message line its line breaks are kept, as a draft that
 * Enter offers to send as one message or one per line; in the one-line fields they are spaces.
 */
export function routePaste(get: () => State, text: string, ctx: KeyContext): void {
  if (get().screen === 'main' && get().dialogs.overlay === 'help') ctx.dispatch({ type: 'overlay', overlay: 'none' });
  const s = get();
  const field = editedField(s);
  if (field === null) return;
  if (field !== 'compose') return ctx.dispatch({ type: 'edit', field, op: { insert: text.replace(/^[\r\n]+|[\r\n]+$/g, '') } });
  if (s.focus !== 'compose') ctx.dispatch({ type: 'focus', pane: 'compose' });
  ctx.dispatch({ type: 'edit', field, op: { paste: text } });
}
