/**
 * Group conversations in the TUI. A group is a window named `#name`, like a conversation with one
 * person: its messages arrive as GroupMessage pushes (the session files them under the group, with
 * their sender), a message typed in its window goes to the group. This module runs the group
 * /commands (groupCommands.ts) and tells the user what the server says about groups: a GroupChanged
 * as a notice, and the last GroupDelivered of a message (every member has it) as its delivered mark.
 */
import type { Body } from '../protocol/codec.js';
import { GroupAccess, GroupChange } from '../protocol/schema.js';
import { describe, isConnectionError, type ClientLike } from './link.js';
import type { Action } from './state/index.js';

export interface GroupHost {
  client(): ClientLike | null;
  loggedIn(): boolean;
  me(): string;
  dispatch(a: Action): void;
}

/** What the group /commands can ask for (KeyContext.groups). */
export interface GroupActions {
  create(group: string, inviteOnly: boolean): void;
  join(group: string): void;
  part(group: string, closeWindow: boolean): void;
  invite(group: string, name: string): void;
  kick(group: string, name: string): void;
  list(pattern: string): void;
  members(group: string): void;
}

export class TuiGroups implements GroupActions {
  constructor(private readonly host: GroupHost) {}

  create(group: string, inviteOnly: boolean): void {
    this.run(`create ${group}`, (c) => c.createGroup(group, inviteOnly), () => {
      this.host.dispatch({ type: 'query', name: group, show: true });
      this.notice(`created ${group}${inviteOnly ? ' (invite-only)' : ''}: /invite NAME to add people`);
    });
  }

  join(group: string): void {
    this.run(`join ${group}`, (c) => c.joinGroup(group), () => {
      this.host.dispatch({ type: 'query', name: group, show: true });
      this.notice(`joined ${group}`);
    });
  }

  part(group: string, closeWindow: boolean): void {
    this.run(`leave ${group}`, (c) => c.leaveGroup(group), () => {
      if (closeWindow) this.host.dispatch({ type: 'closeView' });
      this.notice(`left ${group}`);
    });
  }

  invite(group: string, name: string): void {
    this.run(`invite ${name}`, (c) => c.inviteToGroup(group, name), () => this.notice(`invited ${name} to ${group}`));
  }

  kick(group: string, name: string): void {
    this.run(`kick ${name}`, (c) => c.kickFromGroup(group, name), () => this.notice(`removed ${name} from ${group}`));
  }

  list(pattern: string): void {
    this.run('list groups', (c) => c.listGroups(pattern === '' ? '*' : pattern, 0, 50), (r) => {
      const shown = r.groups.map((g) => `${g.group} (${g.memberCount}${roles(g.access)})`);
      this.notice(r.total === 0 ? 'no groups match' : `${r.total} group${r.total === 1 ? '' : 's'}: ${shown.join(', ')}${r.total > shown.length ? ' ...' : ''}`);
    });
  }

  /** A page of a group's members, for the users pane while the group's window is on screen. */
  membersPage(group: string, offset: number, limit: number): void {
    const c = this.host.client();
    if (!c || !this.host.loggedIn()) return;
    c.listMembers(group, offset, limit).then(
      (r) => this.host.dispatch({ type: 'usersLoaded', total: r.total, names: r.members.map((m) => m.username) }),
      (err: unknown) => {
        if (!isConnectionError(err)) this.host.dispatch({ type: 'error', text: `${group}: ${describe(err)}` });
      },
    );
  }

  members(group: string): void {
    this.run(`list ${group}`, (c) => c.listMembers(group, 0, 100), (r) => {
      const shown = r.members.map((m) => `${m.role ? '@' : ''}${m.username}${m.presence ? '' : ' (away)'}`);
      this.notice(`${group}, ${r.total} member${r.total === 1 ? '' : 's'}: ${shown.join(', ')}${r.total > shown.length ? ' ...' : ''}`);
    });
  }

  /** A GroupChanged push, in words. */
  changed(e: Body<'GroupChanged'>): void {
    const me = this.host.me();
    const who = e.name === me ? 'you' : e.name;
    if (e.change !== GroupChange.INVITED && e.change !== GroupChange.DELETED) this.host.dispatch({ type: 'membersChanged', group: e.group });
    switch (e.change) {
      case GroupChange.JOINED:
        if (e.name !== me) this.notice(`${e.name} joined ${e.group}`);
        return;
      case GroupChange.LEFT:
        return this.notice(`${e.name} left ${e.group}`);
      case GroupChange.KICKED:
        return this.notice(`${e.by} removed ${who} from ${e.group}`);
      case GroupChange.DELETED:
        return this.notice(`${e.by} deleted ${e.group}`);
      case GroupChange.OWNER:
        return this.notice(`${who} own${who === 'you' ? '' : 's'} ${e.group} now`);
      case GroupChange.INVITED:
        return this.notice(`${e.by} invited you to ${e.group}: /join ${e.group}`);
    }
  }

  /** Runs a request when logged in; a refusal becomes the status line's error. */
  private run<T>(what: string, call: (c: ClientLike) => Promise<T>, then: (r: T) => void): void {
    const c = this.host.client();
    if (!c || !this.host.loggedIn()) {
      this.host.dispatch({ type: 'error', text: `${what}: not connected` });
      return;
    }
    call(c).then(then, (err: unknown) => {
      if (!isConnectionError(err)) this.host.dispatch({ type: 'error', text: `${what}: ${describe(err)}` });
    });
  }

  private notice(text: string): void {
    this.host.dispatch({ type: 'notice', text });
  }
}

/** ", invite-only, owner" for a listed group. */
function roles(access: number): string {
  const out: string[] = [];
  if (access & GroupAccess.INVITE_ONLY) out.push('invite-only');
  if (access & GroupAccess.OWNER) out.push('yours');
  else if (access & GroupAccess.MEMBER) out.push('joined');
  else if (access & GroupAccess.INVITED) out.push('invited');
  return out.map((x) => `, ${x}`).join('');
}
