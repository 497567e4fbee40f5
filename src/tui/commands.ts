/** What Enter does with the compose line: send it (to the view's conversation or as addressed), or run a /command. */
import { username } from '../protocol/schema.js';
import type { KeyContext } from './keyContext.js';
import { splitMessage } from './text/split.js';
import { CONTENT_MAX, wireBytes } from './text/unicode.js';
import { composeTarget, type State } from './state/index.js';

const NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${username.size}}$`);

/** Sends the message part of the line, or offers to split it when it is over the limit. */
function sendLine(s: State, ctx: KeyContext): void {
  const { dispatch } = ctx;
  const t = composeTarget(s.compose.line.text, s.convs.view);
  if (t.recipient === null) {
    return dispatch({ type: 'composeError', text: 'this is the inbox: /msg NAME text, or /query NAME to open a conversation' });
  }
  if (!NAME.test(t.recipient)) return dispatch({ type: 'composeError', text: `${t.recipient} is not a user name` });
  if (t.content === '') return dispatch({ type: 'composeError', text: t.addressed ? `type a message after ${t.recipient}` : 'nothing to send' });
  if (wireBytes(t.content) > CONTENT_MAX) {
    return dispatch({ type: 'offerSplit', recipient: t.recipient, parts: splitMessage(t.content) });
  }
  ctx.send(t.recipient, t.content, true);
}

/** Runs `/name args`; unknown commands say so. */
function runCommand(s: State, ctx: KeyContext, name: string, args: string): void {
  const { dispatch } = ctx;
  const done = () => dispatch({ type: 'setCompose', text: '' });
  switch (name) {
    case 'query':
    case 'q': {
      const who = args.split(/\s+/)[0] ?? '';
      if (!NAME.test(who)) return dispatch({ type: 'composeError', text: 'usage: /query NAME' });
      dispatch({ type: 'query', name: who, show: true });
      return done();
    }
    case 'close':
      if (s.convs.view === null) return dispatch({ type: 'composeError', text: 'the inbox stays open; /quit to leave' });
      dispatch({ type: 'closeView' });
      return done();
    case 'clear':
      dispatch({ type: 'clearView' });
      return done();
    case 'search':
      if (args === '') return dispatch({ type: 'composeError', text: 'usage: /search TEXT' });
      ctx.search(args);
      return done();
    case 'who':
    case 'users':
      dispatch({ type: 'usersFilter', pattern: args });
      if (ctx.usersShown) dispatch({ type: 'focus', pane: 'users' });
      return done();
    case 'fetch':
      ctx.fetch();
      return done();
    case 'delete':
      done();
      return dispatch({ type: 'overlay', overlay: 'delete' });
    case 'help':
      done();
      return dispatch({ type: 'overlay', overlay: 'help' });
    case 'quit':
    case 'exit':
      return ctx.quit();
    default:
      return dispatch({ type: 'composeError', text: `no command /${name}; /help lists them` });
  }
}

/** Enter on the compose line. */
export function submit(s: State, ctx: KeyContext): void {
  const text = s.compose.line.text;
  if (text.trim() === '') return;
  const m = /^\/(\w+)\s*([\s\S]*)$/.exec(text.trim());
  if (m && !/^msg$/i.test(m[1]!)) return runCommand(s, ctx, m[1]!.toLowerCase(), m[2]!.trim());
  sendLine(s, ctx);
}
