/** The group /commands (a part of commands.ts's table): create, join, part, invite, kick, list groups and members. */
import { GROUP_RE, USERNAME_RE } from '../protocol/schema.js';
import { usageText, type SlashCommand } from './commandUsage.js';
import type { KeyContext } from './keys/context.js';
import type { State } from './state/index.js';

/** The group a command names, or this window's when it is a group's. */
const groupOf = (s: State, arg: string | undefined): string | undefined => arg ?? (s.convs.view !== null && GROUP_RE.test(s.convs.view) ? s.convs.view : undefined);

function usage(ctx: KeyContext, c: SlashCommand): void {
  ctx.dispatch({ type: 'composeError', text: usageText(c) });
}

/** Runs `f` with the session's group actions, then clears the line. */
function withGroups(ctx: KeyContext, f: (g: NonNullable<KeyContext['groups']>) => void): void {
  if (!ctx.groups) return ctx.dispatch({ type: 'composeError', text: 'groups are not available here' });
  f(ctx.groups);
  ctx.dispatch({ type: 'setCompose', text: '' });
}

export const GROUP_COMMANDS: readonly SlashCommand[] = [
  {
    name: 'create',
    args: '#NAME [invite]',
    does: 'create a group (invite: only those invited may join) and open its window',
    run(_s, ctx, args) {
      const [group, mode] = args.split(/\s+/);
      if (!group || !GROUP_RE.test(group) || (mode !== undefined && mode !== 'invite')) return usage(ctx, this);
      withGroups(ctx, (g) => g.create(group, mode === 'invite'));
    },
  },
  {
    name: 'join',
    aliases: ['j'],
    args: '#NAME',
    does: "join a group and open its window (#NAME's messages show who wrote them)",
    run(_s, ctx, args) {
      const group = args.split(/\s+/)[0];
      if (!group || !GROUP_RE.test(group)) return usage(ctx, this);
      withGroups(ctx, (g) => g.join(group));
    },
  },
  {
    name: 'part',
    aliases: ['leave'],
    args: '[#NAME]',
    does: "leave a group (this window's) and close its window",
    run(s, ctx, args) {
      const group = groupOf(s, args.split(/\s+/)[0] || undefined);
      if (!group || !GROUP_RE.test(group)) return usage(ctx, this);
      withGroups(ctx, (g) => g.part(group, s.convs.view === group));
    },
  },
  {
    name: 'invite',
    args: 'NAME [#NAME]',
    does: "invite NAME to a group (this window's)",
    run(s, ctx, args) {
      const [name, arg] = args.split(/\s+/);
      const group = groupOf(s, arg);
      if (!name || !USERNAME_RE.test(name) || !group || !GROUP_RE.test(group)) return usage(ctx, this);
      withGroups(ctx, (g) => g.invite(group, name));
    },
  },
  {
    name: 'kick',
    args: 'NAME [#NAME]',
    does: "remove NAME from a group you own (this window's)",
    run(s, ctx, args) {
      const [name, arg] = args.split(/\s+/);
      const group = groupOf(s, arg);
      if (!name || !USERNAME_RE.test(name) || !group || !GROUP_RE.test(group)) return usage(ctx, this);
      withGroups(ctx, (g) => g.kick(group, name));
    },
  },
  {
    name: 'groups',
    args: '[PATTERN]',
    does: 'list the groups you can see (* and ? wildcards)',
    run(_s, ctx, args) {
      withGroups(ctx, (g) => g.list(args));
    },
  },
  {
    name: 'members',
    args: '[#NAME]',
    does: "list a group's members (this window's) and who is online",
    run(s, ctx, args) {
      const group = groupOf(s, args.split(/\s+/)[0] || undefined);
      if (!group || !GROUP_RE.test(group)) return usage(ctx, this);
      withGroups(ctx, (g) => g.members(group));
    },
  },
];
