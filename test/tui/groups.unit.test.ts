import test from 'ava';
import { harness } from './keyHarness.js';
import { arrive, loggedIn, msg, run } from './state/helpers.js';
import { viewLines, windows } from '../../src/tui/state/index.js';
import type { GroupActions } from '../../src/tui/groups.js';

test("a group message goes to the group's window, counts as unread there, and shows its sender", (t) => {
  // Looking at another conversation, so what arrives stays unread.
  let s = run(loggedIn(), { type: 'query', name: 'dave', show: true });
  s = run(s, arrive(msg(1, 'alice', 'hello all', { group: '#rust' }), msg(2, 'carol', 'hi', { group: '#rust' }), msg(3, 'alice', 'just you')));
  t.deepEqual(windows(s.convs), [null, 'dave', '#rust', 'alice']);
  t.deepEqual(s.convs.unread, { '#rust': 2, alice: 1 });
  s = run(s, { type: 'view', view: '#rust' });
  t.deepEqual(
    viewLines(s.convs).filter((l) => l.who).map((l) => `${l.who}: ${l.text}`),
    ['alice: hello all', 'carol: hi'],
  );
  t.deepEqual(s.convs.unread, { alice: 1 });
});

/** The key harness with the group actions written down. */
function withGroups(view: string | null) {
  const h = harness(view === null ? loggedIn() : run(loggedIn(), { type: 'query', name: view, show: true }));
  const calls: string[] = [];
  const groups: GroupActions = {
    create: (g, inviteOnly) => calls.push(`create ${g} ${inviteOnly}`),
    join: (g) => calls.push(`join ${g}`),
    part: (g, close) => calls.push(`part ${g} ${close}`),
    invite: (g, n) => calls.push(`invite ${g} ${n}`),
    kick: (g, n) => calls.push(`kick ${g} ${n}`),
    list: (p) => calls.push(`list ${p}`),
    members: (g) => calls.push(`members ${g}`),
  };
  h.ctx.groups = groups;
  const line = (text: string) => {
    h.key(text);
    h.key('', { return: true });
  };
  return { h, calls, line };
}

test("the group commands: the group named, or this window's; a plain line in a group's window goes to the group", (t) => {
  const { h, calls, line } = withGroups('#rust');
  for (const l of ['/create #go invite', '/join #go', '/invite carol', '/kick eve #go', '/members', '/groups r*', '/part']) line(l);
  t.deepEqual(calls, ['create #go true', 'join #go', 'invite #rust carol', 'kick #go eve', 'members #rust', 'list r*', 'part #rust true']);
  line('hello rustaceans');
  t.deepEqual(h.effects, ['send #rust hello rustaceans']);
});

test('a group command without its group outside a group window, or with a bad name, says how to use it', (t) => {
  for (const [l, usage] of [
    ['/members', /usage: \/members \[#NAME\]/],
    ['/create rust', /usage: \/create #NAME \[invite\]/],
    ['/invite #rust', /usage: \/invite NAME \[#NAME\]/],
  ] as const) {
    const { h, calls, line } = withGroups(null);
    line(l);
    t.regex(h.state.compose.error ?? '', usage, l);
    t.deepEqual(calls, []);
  }
});

test('Tab completes a #group (the server asked as for names) and the members who wrote in it', async (t) => {
  const start = run(loggedIn(), arrive(msg(1, 'alice', 'hi', { group: '#rust' })), { type: 'view', view: '#rust' });
  const h = harness(start);
  h.key('/part #ru');
  h.key('', { tab: true });
  // The server is asked for the groups starting with it too; the one known here is among the matches.
  await new Promise((resolve) => setImmediate(resolve));
  t.is(h.state.compose.line.text, '/part #rust ');
  t.true(h.effects.includes('names #ru*'));
  h.key('al');
  h.key('', { tab: true });
  // An account name: the server is asked too (the harness answers at once, after this turn).
  await new Promise((resolve) => setImmediate(resolve));
  t.is(h.state.compose.line.text, '/part #rust alice ');
});
