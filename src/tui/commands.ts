/**
 * The /commands, in one table (what Enter runs, what /help and README's table say), and what Enter
 * does with the message line: send it (to the view's conversation or as addressed), or run a command.
 */
import { GROUP_RE, USERNAME_RE } from '../protocol/schema.js';
import { GROUP_COMMANDS } from './groupCommands.js';
import type { KeyContext } from './keys/context.js';
import { Command, keyLabel } from './keys/keymap.js';
import { splitMessage } from './text/split.js';
import { CONTENT_MAX, wireBytes } from './text/unicode.js';
import { composeTarget, type State } from './state/index.js';

export interface SlashCommand {
  readonly name: string;
  /** Other names that run it. */
  readonly aliases?: readonly string[];
  /** Its arguments as the help writes them. */
  readonly args?: string;
  readonly does: string;
  /** `args`: the rest of the line, trimmed. */
  readonly run: (s: State, ctx: KeyContext, args: string) => void;
}

/** Sends the message part of the line, or offers to split it when it is over the limit. */
function sendLine(s: State, ctx: KeyContext): void {
  const { dispatch } = ctx;
  const t = composeTarget(s.compose.line.text, s.convs.view);
  if (t.recipient === null) {
    return dispatch({ type: 'composeError', text: 'this is the inbox: /msg NAME text, or /query NAME to open a conversation' });
  }
  if (!USERNAME_RE.test(t.recipient) && !GROUP_RE.test(t.recipient)) return dispatch({ type: 'composeError', text: `${t.recipient} is not a user name` });
  if (t.content === '') return dispatch({ type: 'composeError', text: t.addressed ? `type a message after ${t.recipient}` : 'nothing to send' });
  if (wireBytes(t.content) > CONTENT_MAX) {
    return dispatch({ type: 'offerSplit', recipient: t.recipient, parts: splitMessage(t.content) });
  }
  ctx.send(t.recipient, t.content, true);
}

const done = (ctx: KeyContext) => ctx.dispatch({ type: 'setCompose', text: '' });
const usage = (c: SlashCommand) => `usage: /${c.name}${c.args ? ` ${c.args}` : ''}`;

export const COMMANDS: readonly SlashCommand[] = [
  // The line is parsed whole by composeTarget, like `@NAME TEXT`.
  { name: 'msg', args: 'NAME TEXT', does: 'send TEXT to NAME (also @NAME TEXT)', run: (s, ctx) => sendLine(s, ctx) },
  {
    name: 'query',
    aliases: ['q'],
    args: 'NAME',
    does: 'open the conversation with NAME',
    run(_s, ctx, args) {
      const who = args.split(/\s+/)[0] ?? '';
      if (!USERNAME_RE.test(who)) return ctx.dispatch({ type: 'composeError', text: usage(this) });
      ctx.dispatch({ type: 'query', name: who, show: true });
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
    does: 'clear this window',
    run(_s, ctx) {
      ctx.dispatch({ type: 'clearView' });
      done(ctx);
    },
  },
  {
    name: 'search',
    args: 'TEXT',
    does: `find TEXT in the history (${keyLabel(Command.Back)} to leave)`,
    run(_s, ctx, args) {
      if (args === '') return ctx.dispatch({ type: 'composeError', text: usage(this) });
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
  { name: 'quit', aliases: ['exit'], does: 'quit', run: (_s, ctx) => ctx.quit() },
];

/** A /command as the help and README write it: "/msg NAME TEXT". */
export const commandUsage = (c: SlashCommand): string => `/${c.name}${c.args ? ` ${c.args}` : ''}`;

/** The command a line runs (by name or alias, any case) and its arguments; null for a message. */
export function parseCommand(text: string): { command: SlashCommand | undefined; name: string; args: string } | null {
  const m = /^\/(\w+)\s*([\s\S]*)$/.exec(text.trim());
  if (!m) return null;
  const name = m[1]!.toLowerCase();
  return { command: COMMANDS.find((c) => c.name === name || c.aliases?.includes(name)), name, args: m[2]!.trim() };
}

/** Whether the line is /quit (Ctrl-C then quits without asking about it). */
export const isQuitLine = (text: string): boolean => parseCommand(text)?.command?.name === 'quit';

/** Enter on the message line. */
export function submit(s: State, ctx: KeyContext): void {
  if (s.compose.line.text.trim() === '') return;
  const p = parseCommand(s.compose.line.text);
  if (p === null) return sendLine(s, ctx);
  if (p.command === undefined) return ctx.dispatch({ type: 'composeError', text: `no command /${p.name}; /help lists them` });
  p.command.run(s, ctx, p.args);
}
