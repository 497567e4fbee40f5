/**
 * The /commands, in one table (what Enter runs, what /help and README's table say), and what Enter
 * does with the message line: send it (to the view's conversation or as addressed), or run a
 * command. A line starting with / is always a command (// sends a line starting with /), and a
 * command missing what it needs shows its usage and sends nothing.
 */
import { commandUsage, usageText, type SlashCommand } from './commandUsage.js';
import { GROUP_RE, USERNAME_RE } from '../protocol/schema.js';
import { GROUP_COMMANDS } from './groupCommands.js';
import type { KeyContext } from './keys/context.js';
import { bindingOf, Command, keyLabel, keysLabel } from './keys/keymap.js';
import { splitMessage } from './text/split.js';
import { CONTENT_MAX, wireBytes } from './text/unicode.js';
import { composeTarget, lastIdShown, pendingCount, windows, type ComposeTarget, type State } from './state/index.js';


/** Sends what Enter sends: one message, or an offer to split a long one or to send pasted lines. */
function sendTo(ctx: KeyContext, t: ComposeTarget): void {
  const { dispatch } = ctx;
  if (t.recipient === null) {
    return dispatch({ type: 'composeError', text: 'this is the inbox: /msg NAME text, or /query NAME to open a conversation' });
  }
  if (!USERNAME_RE.test(t.recipient) && !GROUP_RE.test(t.recipient)) return dispatch({ type: 'composeError', text: `${t.recipient} is not a user name` });
  if (t.content === '') return dispatch({ type: 'composeError', text: t.addressed ? `type a message after ${t.recipient}` : 'nothing to send' });
  const action = t.action || undefined;
  if (t.content.includes('\n')) return dispatch({ type: 'offerPaste', recipient: t.recipient, lines: t.content.split('\n'), action });
  if (wireBytes(t.content) > CONTENT_MAX) return dispatch({ type: 'offerSplit', recipient: t.recipient, parts: splitMessage(t.content), action });
  ctx.send(t.recipient, t.content, true, t.action);
}

const done = (ctx: KeyContext) => ctx.dispatch({ type: 'setCompose', text: '' });

/** A command as the help and README write it: "/msg NAME TEXT". */
export { commandUsage };
const usage = (ctx: KeyContext, c: SlashCommand) => ctx.dispatch({ type: 'composeError', text: usageText(c) });

/** Whether quitting now would leave something: a draft in the line (not /quit itself) or messages the server has not accepted. */
export function quitNeedsAsking(s: State): boolean {
  if (s.screen !== 'main') return false;
  const text = s.compose.line.text;
  return (text.trim() !== '' && !isQuitLine(text)) || pendingCount(s.convs) > 0;
}

/** Ctrl-C or /quit: quit at once, or ask first when something would be left behind. */
export function requestQuit(s: State, ctx: KeyContext): void {
  if (quitNeedsAsking(s)) return ctx.dispatch({ type: 'overlay', overlay: 'quit' });
  ctx.quit();
}

/** Who of the open conversations is online, in one line. */
function namesLine(s: State): string {
  const open = s.convs.open;
  if (open.length === 0) return 'no open conversations: /query NAME opens one';
  const known = s.users.online;
  if (known === null || s.conn !== 'connected') return `open: ${open.join(', ')} (online or not is unknown while disconnected)`;
  const on = open.filter((n) => known.has(n));
  const off = open.filter((n) => !known.has(n));
  return [on.length ? `online: ${on.join(', ')}` : '', off.length ? `offline: ${off.join(', ')}` : ''].filter(Boolean).join(' · ');
}

export const COMMANDS: readonly SlashCommand[] = [
  {
    name: 'msg',
    args: 'NAME TEXT',
    does: 'send TEXT to NAME (also @NAME TEXT)',
    run(s, ctx, args) {
      if (!/^\S+\s+\S/.test(args)) return usage(ctx, this);
      sendTo(ctx, composeTarget(s.compose.line.text, s.convs.view)!);
    },
  },
  {
    name: 'me',
    args: 'TEXT',
    does: 'an action in this conversation, shown "* yourname TEXT" (as IRC\'s /me)',
    run(s, ctx, args) {
      if (args === '') return usage(ctx, this);
      sendTo(ctx, composeTarget(s.compose.line.text, s.convs.view)!);
    },
  },
  {
    name: 'query',
    aliases: ['q'],
    args: 'NAME',
    does: 'open the conversation with NAME',
    run(_s, ctx, args) {
      const who = args.split(/\s+/)[0] ?? '';
      if (!USERNAME_RE.test(who)) return usage(ctx, this);
      ctx.dispatch({ type: 'query', name: who, show: true });
      done(ctx);
    },
  },
  {
    name: 'window',
    aliases: ['win'],
    args: 'N',
    does: `show window N (1 is the inbox; ${keysLabel(bindingOf(Command.Window))} show 1 to 10)`,
    run(s, ctx, args) {
      if (!/^\d+$/.test(args)) return usage(ctx, this);
      const n = Number(args);
      const count = windows(s.convs).length;
      if (n < 1 || n > count) return ctx.dispatch({ type: 'composeError', text: `no window ${n}: there ${count === 1 ? 'is 1' : `are ${count}`}` });
      ctx.dispatch({ type: 'viewNumber', n });
      done(ctx);
    },
  },
  {
    name: 'close',
    does: 'close this conversation',
    run(s, ctx) {
      if (s.convs.view === null) return ctx.dispatch({ type: 'composeError', text: 'the inbox stays open; /quit to leave' });
      ctx.dispatch({ type: 'closeView' });
      done(ctx);
    },
  },
  {
    name: 'clear',
    does: 'clear this window, also after a restart (/search still finds what it held)',
    run(s, ctx) {
      ctx.keepClear(s.convs.view, lastIdShown(s.convs));
      ctx.dispatch({ type: 'clearView' });
      done(ctx);
    },
  },
  {
    name: 'names',
    does: 'who of your open conversations is online',
    run(s, ctx) {
      ctx.dispatch({ type: 'notice', text: namesLine(s), transient: true });
      done(ctx);
    },
  },
  {
    name: 'search',
    args: 'TEXT',
    does: `find TEXT in the history, any case or accent (${keyLabel(Command.Back)} to leave)`,
    run(_s, ctx, args) {
      if (args === '') return usage(ctx, this);
      ctx.search(args);
      done(ctx);
    },
  },
  {
    name: 'who',
    aliases: ['users'],
    args: '[PATTERN]',
    does: 'filter the users list (* and ? wildcards)',
    run(_s, ctx, args) {
      ctx.dispatch({ type: 'usersFilter', pattern: args });
      if (ctx.usersShown) ctx.dispatch({ type: 'focus', pane: 'users' });
      done(ctx);
    },
  },
  {
    name: 'fetch',
    does: 'fetch waiting messages',
    run(_s, ctx) {
      ctx.fetch();
      done(ctx);
    },
  },
  {
    name: 'export',
    args: 'FILE',
    does: 'write the whole history to FILE as text, one line per message (irssi log style)',
    run(_s, ctx, args) {
      if (args === '') return usage(ctx, this);
      ctx.exportHistory(args);
      done(ctx);
    },
  },
  {
    name: 'delete',
    does: 'delete your account',
    run(_s, ctx) {
      done(ctx);
      ctx.dispatch({ type: 'overlay', overlay: 'delete' });
    },
  },
  {
    name: 'help',
    does: 'keys and commands',
    run(_s, ctx) {
      done(ctx);
      ctx.dispatch({ type: 'overlay', overlay: 'help' });
    },
  },
  ...GROUP_COMMANDS,
  { name: 'quit', aliases: ['exit'], does: 'quit (asks first if messages are not sent yet)', run: (s, ctx) => requestQuit(s, ctx) },
];

/** The command a line runs (by name or alias, any case) and its arguments; null for a message. */
export function parseCommand(text: string): { command: SlashCommand | undefined; name: string; args: string } | null {
  const t = text.trim();
  if (!t.startsWith('/') || t.startsWith('//')) return null;
  const m = /^\/(\S*)\s*([\s\S]*)$/.exec(t)!;
  const name = m[1]!.toLowerCase();
  return { command: COMMANDS.find((c) => c.name === name || c.aliases?.includes(name)), name, args: m[2]!.trim() };
}

/** Whether the line is /quit (Ctrl-C then quits without asking about it). */
export const isQuitLine = (text: string): boolean => parseCommand(text)?.command?.name === 'quit';

/** Enter on the message line. */
export function submit(s: State, ctx: KeyContext): void {
  const text = s.compose.line.text;
  if (text.trim() === '') return;
  const p = parseCommand(text);
  if (p === null) return sendTo(ctx, composeTarget(text, s.convs.view)!);
  if (p.command === undefined) {
    const what = p.name === '' ? 'a / starts a command: /help lists them; // sends a line starting with /' : `no command /${p.name}; /help lists them`;
    return ctx.dispatch({ type: 'composeError', text: what });
  }
  // A pasted draft is sent by /msg and /me only; any other command is one line.
  if (text.includes('\n') && p.command.name !== 'msg' && p.command.name !== 'me') {
    return ctx.dispatch({ type: 'composeError', text: `/${p.command.name} takes one line; ${keyLabel(Command.KillToStart)} clears the pasted text` });
  }
  p.command.run(s, ctx, p.args);
}
