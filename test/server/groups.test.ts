/**
 * Group conversations over real TCP connections: every request and its errors, a group message to
 * online and offline members (push, fetch, ack, receipts as k of n), resends, kick and leave
 * stopping delivery at once, deletion of an account and of a group, ownership passing on.
 */
import test, { type ExecutionContext } from 'ava';
import type { ChatClient } from '../../src/protocol/client.js';
import { GroupAccess, GroupChange, MessageFlags } from '../../src/protocol/schema.js';
import type { ServerOptions } from '../../src/server/server.js';
import { collect } from './groupEvents.js';
import { PASSWORD, startTestServer, type TestServer } from './helpers.js';
import { waitFor } from '../wait.js';

async function server(t: ExecutionContext, opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const s = await startTestServer({ groups: { receiptMs: 10 }, ...opts });
  t.teardown(() => s.stop());
  return s;
}

/** `owner`'s group `name` with these members joined (in order). */
async function groupOf(name: string, owner: ChatClient, ...members: ChatClient[]): Promise<void> {
  await owner.createGroup(name);
  for (const m of members) await m.joinGroup(name);
}

const code = (c: string) => ({ code: c }) as never;

test('a group message is pushed to the members online, with the group named, and never echoed to its sender', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  await groupOf('#rust', alice!, bob!, carol!);
  const [atBob, atCarol, atAlice] = [collect(bob!, 'groupMessage'), collect(carol!, 'groupMessage'), collect(alice!, 'groupMessage')];
  const oneToOne = collect(bob!, 'message');
  const id = await alice!.send('#rust', 'hello all');
  for (const got of [atBob, atCarol]) t.like(await got.next(), { id, group: '#rust', sender: 'alice', content: 'hello all', flags: 0 });
  await alice!.ping();
  t.deepEqual(atAlice.items, [], 'no echo');
  t.deepEqual(oneToOne.items, [], 'a group message is not a one-to-one message');
});

test('an offline member gets it from FetchUndelivered, merged with its own messages by id, and acknowledges both with one Ack; the sender sees delivered k of n', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  await groupOf('#g', alice!, bob!, carol!);
  await carol!.logout();
  const counts = collect(alice!, 'groupDelivered');
  const atBob = collect(bob!, 'groupMessage');
  const d1 = await alice!.send('carol', 'direct');
  const g1 = await alice!.send('#g', 'to the group');
  const d2 = await bob!.send('carol', 'another');
  await bob!.ack((await atBob.next()).id);
  t.like(await counts.next(), { group: '#g', id: g1, delivered: 1, recipients: 2 });
  t.deepEqual(await carol!.login('carol', PASSWORD), { undelivered: 3 });
  const page = await carol!.fetch();
  t.deepEqual(
    page.messages.map((m) => [m.id, m.group, m.content]),
    [
      [d1, undefined, 'direct'],
      [g1, '#g', 'to the group'],
      [d2, undefined, 'another'],
    ],
  );
  await carol!.ack(d2);
  t.deepEqual(await carol!.fetch(), { remaining: 0, messages: [] });
  t.deepEqual(await carol!.login('carol', PASSWORD), { undelivered: 0 }, 'gone durably');
  t.like(await counts.next(), { id: g1, delivered: 2, recipients: 2 });
});

test('members see what was sent after they joined; a message sent before is not theirs', async (t) => {
  const s = await server(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => s.user(n)));
  await alice!.createGroup('#g');
  await alice!.send('#g', 'before bob');
  await bob!.joinGroup('#g');
  const got = collect(bob!, 'groupMessage');
  await alice!.send('#g', 'after bob');
  t.like(await got.next(), { content: 'after bob' });
  t.deepEqual((await bob!.fetch()).messages.map((m) => m.content), ['after bob']);
});

test('a resend is stored and pushed once: RESEND or not, the same clientId is the first message; reused for other text it is refused', async (t) => {
  const s = await server(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => s.user(n)));
  await groupOf('#g', alice!, bob!);
  const got = collect(bob!, 'groupMessage');
  const cid = alice!.newClientId();
  const id = await alice!.send('#g', 'once', cid);
  t.is(await alice!.send('#g', 'once', cid, MessageFlags.RESEND), id);
  t.is(await alice!.send('#g', 'once', cid), id);
  await t.throwsAsync(alice!.send('#g', 'other text', cid), code('CLIENT_ID_REUSED'));
  await t.throwsAsync(alice!.send('bob', 'once', cid), code('CLIENT_ID_REUSED'));
  await got.next();
  await bob!.ping();
  t.is(got.items.length, 1);
  t.deepEqual((await bob!.fetch()).messages.map((m) => m.id), [id]);
});

test('kick and leave stop delivery at once: nothing sent after the Ok reaches the one gone, and what waited for it is dropped', async (t) => {
  const s = await server(t);
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => s.user(n)));
  await groupOf('#g', alice!, bob!, carol!, dave!);
  const [atBob, atCarol, atDave] = [collect(bob!, 'groupMessage'), collect(carol!, 'groupMessage'), collect(dave!, 'groupMessage')];
  const bobHeard = collect(bob!, 'groupChanged');
  await alice!.send('#g', 'before');
  await atBob.next();
  await alice!.kickFromGroup('#g', 'bob');
  // (JOINED pushes of the later members may still come first.)
  t.like(await waitFor(() => bobHeard.items.find((c) => c.change === GroupChange.KICKED), 'the KICKED push'), { group: '#g', name: 'bob', by: 'alice' });
  await dave!.leaveGroup('#g');
  await alice!.send('#g', 'after');
  await atCarol.until(2);
  // Anything pushed to bob and dave before carol's push was written before these answers.
  await Promise.all([bob!.ping(), dave!.ping()]);
  t.deepEqual(atBob.items.map((m) => m.content), ['before']);
  t.deepEqual(atDave.items.map((m) => m.content), ['before']);
  t.deepEqual((await bob!.fetch()).messages, [], "the kicked member's unacknowledged message is dropped");
  await t.throwsAsync(bob!.send('#g', 'let me in'), code('NOT_A_MEMBER'));
  await bob!.joinGroup('#g');
  t.deepEqual((await bob!.fetch()).messages, [], 'a public group takes it back, from then on');
});

test('GroupChanged: members hear joins, leaves, kicks, an owner passing the group on, and its deletion', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  const heard = collect(carol!, 'groupChanged');
  await alice!.createGroup('#g');
  await carol!.joinGroup('#g');
  await bob!.joinGroup('#g');
  await alice!.leaveGroup('#g');
  await carol!.kickFromGroup('#g', 'bob');
  await carol!.deleteGroup('#g');
  const all = await heard.until(6);
  t.deepEqual(
    all.map((c) => [c.change, c.name, c.by]),
    [
      [GroupChange.JOINED, 'carol', 'carol'],
      [GroupChange.JOINED, 'bob', 'bob'],
      [GroupChange.LEFT, 'alice', 'alice'],
      [GroupChange.OWNER, 'carol', 'alice'],
      [GroupChange.KICKED, 'bob', 'carol'],
      [GroupChange.DELETED, '', 'carol'],
    ],
  );
  await t.throwsAsync(carol!.send('#g', 'anyone?'), code('NO_SUCH_GROUP'));
});

test('ownership passes to the longest-standing member, who can then kick and delete', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  await groupOf('#g', alice!, carol!, bob!);
  await t.throwsAsync(carol!.kickFromGroup('#g', 'bob'), code('NOT_OWNER'));
  await alice!.leaveGroup('#g');
  t.deepEqual((await bob!.listMembers('#g')).members, [
    { username: 'bob', presence: 1, role: 0 },
    { username: 'carol', presence: 1, role: 1 },
  ]);
  await carol!.kickFromGroup('#g', 'bob');
  await carol!.deleteGroup('#g');
  t.deepEqual(await carol!.listGroups(), { total: 0, groups: [] });
});

test('deleting an account takes it out of its groups: members hear it left, its group passes on, what it sent stays', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  await groupOf('#g', alice!, bob!, carol!);
  await carol!.logout();
  await alice!.send('#g', 'from alice');
  const heard = collect(bob!, 'groupChanged');
  t.deepEqual(await alice!.deleteAccount(PASSWORD, true), { deleted: true });
  // (carol's JOINED may still be on its way to bob.)
  const changes = await waitFor(() => {
    const left = heard.items.filter((c) => c.change !== GroupChange.JOINED);
    return left.length >= 2 && left;
  }, 'LEFT and OWNER');
  t.deepEqual(
    changes.map((c) => [c.change, c.name]),
    [
      [GroupChange.LEFT, 'alice'],
      [GroupChange.OWNER, 'bob'],
    ],
  );
  await carol!.login('carol', PASSWORD);
  t.like((await carol!.fetch()).messages[0], { group: '#g', sender: 'alice', content: 'from alice', flags: MessageFlags.SENDER_DELETED });
  t.deepEqual((await bob!.listMembers('#g')).members.map((m) => [m.username, m.role]), [
    ['bob', 1],
    ['carol', 0],
  ]);
});

test('deleting a group: its members hear it, what waited in it is dropped, its name is free', async (t) => {
  const s = await server(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => s.user(n)));
  await groupOf('#g', alice!, bob!);
  await bob!.logout();
  await alice!.send('#g', 'unread');
  await alice!.deleteGroup('#g');
  t.deepEqual(await bob!.login('bob', PASSWORD), { undelivered: 0 });
  await bob!.createGroup('#g');
  t.deepEqual((await alice!.listGroups('#g')).groups, [{ group: '#g', memberCount: 1, access: 0 }]);
});

test('invite-only groups: only invited accounts join, the invitee hears the invitation, a kick takes it back', async (t) => {
  const s = await server(t);
  const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((n) => s.user(n)));
  await alice!.createGroup('#priv', true);
  await t.throwsAsync(bob!.joinGroup('#priv'), code('NOT_INVITED'));
  t.deepEqual(await bob!.listGroups(), { total: 0, groups: [] }, 'hidden from those not invited');
  await t.throwsAsync(bob!.listMembers('#priv'), code('NOT_A_MEMBER'));
  const invited = collect(bob!, 'groupChanged');
  await alice!.inviteToGroup('#priv', 'bob');
  t.like(await invited.next(), { group: '#priv', change: GroupChange.INVITED, name: 'bob', by: 'alice' });
  t.deepEqual((await bob!.listGroups()).groups, [{ group: '#priv', memberCount: 1, access: GroupAccess.INVITE_ONLY | GroupAccess.INVITED }]);
  await bob!.joinGroup('#priv');
  t.deepEqual((await bob!.listGroups('pr?v')).groups, [{ group: '#priv', memberCount: 2, access: GroupAccess.INVITE_ONLY | GroupAccess.MEMBER }]);
  await alice!.kickFromGroup('#priv', 'bob');
  await t.throwsAsync(bob!.joinGroup('#priv'), code('NOT_INVITED'));
  await t.throwsAsync(eve!.inviteToGroup('#priv', 'eve'), code('NOT_A_MEMBER'));
});

test('every refusal: bad names, unknown groups and accounts, not a member, not the owner, the limits', async (t) => {
  const s = await server(t, { groups: { maxMembers: 2, maxGroupsPerAccount: 2, receiptMs: 10 }, maxQueue: 2 });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  for (const bad of ['rust', '#', '#a b', '#ab#c', '#x!']) await t.throwsAsync(alice!.createGroup(bad), code('INVALID_ARGUMENT'), bad);
  await alice!.createGroup('#g');
  await t.throwsAsync(bob!.createGroup('#g'), code('GROUP_TAKEN'));
  await alice!.createGroup('#h');
  await t.throwsAsync(alice!.createGroup('#i'), code('TOO_MANY_GROUPS'));
  for (const [what, p] of [
    ['join', bob!.joinGroup('#nope')],
    ['leave', bob!.leaveGroup('#nope')],
    ['invite', bob!.inviteToGroup('#nope', 'carol')],
    ['kick', bob!.kickFromGroup('#nope', 'carol')],
    ['delete', bob!.deleteGroup('#nope')],
    ['members', bob!.listMembers('#nope')],
    ['send', bob!.send('#nope', 'x')],
    ['a name that is no group name', bob!.joinGroup('nope')],
  ] as const) {
    await t.throwsAsync(p, code('NO_SUCH_GROUP'), what);
  }
  await bob!.joinGroup('#g');
  await t.throwsAsync(carol!.joinGroup('#g'), code('GROUP_FULL'));
  await t.throwsAsync(carol!.leaveGroup('#g'), code('NOT_A_MEMBER'));
  await t.throwsAsync(carol!.send('#g', 'x'), code('NOT_A_MEMBER'));
  await t.throwsAsync(alice!.inviteToGroup('#g', 'nobody'), code('NO_SUCH_USER'));
  await t.throwsAsync(alice!.kickFromGroup('#g', 'nobody'), code('NO_SUCH_USER'));
  await t.throwsAsync(alice!.kickFromGroup('#g', 'carol'), code('NOT_A_MEMBER'));
  await t.throwsAsync(alice!.kickFromGroup('#g', 'alice'), code('INVALID_ARGUMENT'));
  await t.throwsAsync(bob!.kickFromGroup('#g', 'alice'), code('NOT_OWNER'));
  await t.throwsAsync(bob!.deleteGroup('#g'), code('NOT_OWNER'));
  await t.throwsAsync(bob!.listGroups('#a[b]'), code('INVALID_PATTERN'));
  await t.throwsAsync(alice!.send('#g', ''), code('INVALID_ARGUMENT'));
  await t.throwsAsync(alice!.send('#g', 'x', alice!.newClientId(), 16), code('INVALID_ARGUMENT'));
  // The backlog cap is the mailbox cap: bob reads nothing, so the third message does not fit.
  await alice!.send('#g', 'one');
  await alice!.send('#g', 'two');
  await t.throwsAsync(alice!.send('#g', 'three'), code('MAILBOX_FULL'));
  const pushed = await bob!.fetch();
  await bob!.ack(pushed.messages.at(-1)!.id);
  await alice!.send('#g', 'three');
  const anon = await s.connect();
  for (const p of [anon.createGroup('#x'), anon.joinGroup('#g'), anon.listGroups(), anon.listMembers('#g')]) await t.throwsAsync(p, code('NOT_LOGGED_IN'));
});

test('ListGroups and ListMembers page, with totals, presence and roles', async (t) => {
  const s = await server(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => s.user(n)));
  for (const g of ['#b', '#a', '#c']) await alice!.createGroup(g);
  t.deepEqual(await bob!.listGroups('*', 1, 1), { total: 3, groups: [{ group: '#b', memberCount: 1, access: 0 }] });
  t.deepEqual((await alice!.listGroups('#a')).groups, [{ group: '#a', memberCount: 1, access: GroupAccess.MEMBER | GroupAccess.OWNER }]);
  await bob!.joinGroup('#a');
  await carol!.joinGroup('#a');
  await carol!.logout();
  t.deepEqual(await bob!.listMembers('#a', 1, 5), {
    total: 3,
    members: [
      { username: 'bob', presence: 1, role: 0 },
      { username: 'carol', presence: 0, role: 0 },
    ],
  });
});
