/**
 * Group conversations over gRPC, served by the generated mapping: the same operations and errors
 * as over TCP, group pushes on Subscribe (held until it opens), FetchUndelivered's two answers.
 */
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { ChatClient } from '../../src/protocol/client.js';
import { GrpcChatClient } from '../../src/protocol/grpcClient.js';
import { GroupAccess, GroupChange } from '../../src/protocol/schema.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { collect } from './groupEvents.js';
import { PASSWORD, removeDir, tempDir, TEST_COST } from './helpers.js';

let srv: RunningServer & { grpcPort: number };
let dir: string;
const open: { close(): unknown }[] = [];

test.before(async () => {
  dir = tempDir();
  srv = (await startServer({ port: 0, grpcPort: 0, dataDir: dir, scryptCost: TEST_COST, groups: { receiptMs: 10 } })) as typeof srv;
});
test.after.always(async () => {
  for (const c of open) await c.close();
  await srv?.close();
  removeDir(dir);
});

async function grpcUser(name: string, subscribe = true): Promise<GrpcChatClient> {
  const c = await GrpcChatClient.connect({ port: srv.grpcPort });
  open.push(c);
  await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  if (subscribe) await c.subscribe();
  return c;
}

async function tcpUser(name: string): Promise<ChatClient> {
  const c = await ChatClient.connect({ port: srv.port });
  open.push(c);
  await c.register(name, PASSWORD);
  await c.login(name, PASSWORD);
  return c;
}

test('gRPC and TCP members talk in one group; pushes, counts and changes arrive on Subscribe', async (t) => {
  const [g, tc] = [await grpcUser('g-alice'), await tcpUser('g-bob')];
  const changes = collect(g, 'groupChanged');
  await g.createGroup('#both');
  await tc.joinGroup('#both');
  t.like(await changes.next(), { group: '#both', change: GroupChange.JOINED, name: 'g-bob', by: 'g-bob' });
  const [atG, atT, counts] = [collect(g, 'groupMessage'), collect(tc, 'groupMessage'), collect(g, 'groupDelivered')];
  const id = await g.send('#both', 'from grpc');
  const m = await atT.next();
  t.like(m, { id, group: '#both', sender: 'g-alice', content: 'from grpc' });
  await tc.ack(m.id);
  t.like(await counts.next(), { id, delivered: 1, recipients: 1 });
  const back = await tc.send('#both', 'from tcp');
  t.like(await atG.next(), { id: back, group: '#both', sender: 'g-bob' });
  t.deepEqual(await g.listMembers('#both'), {
    total: 2,
    members: [
      { username: 'g-alice', presence: 1, role: 1 },
      { username: 'g-bob', presence: 1, role: 0 },
    ],
  });
  t.deepEqual((await tc.listGroups('both')).groups, [{ group: '#both', memberCount: 2, access: GroupAccess.MEMBER }]);
});

test('over gRPC a group message waiting is fetched as a GroupMessageBatch; one pushed before Subscribe is held and acknowledged as any', async (t) => {
  const owner = await tcpUser('g-owner');
  const g = await grpcUser('g-late', false);
  await owner.createGroup('#late');
  await g.joinGroup('#late');
  const early = await owner.send('#late', 'before the stream');
  const pushed = collect(g, 'groupMessage');
  await g.subscribe();
  t.like(await pushed.next(), { id: early, group: '#late', content: 'before the stream' });
  await g.ack(early);
  await g.logout();
  const queued = await owner.send('#late', 'while away');
  const direct = await owner.send('g-late', 'direct');
  await g.login('g-late', PASSWORD);
  t.deepEqual(
    (await g.fetch()).messages.map((m) => [m.id, m.group, m.content]),
    [
      [queued, '#late', 'while away'],
      [direct, undefined, 'direct'],
    ],
  );
  await g.ack(direct);
  t.deepEqual(await g.fetch(), { remaining: 0, messages: [] });
});

test('group errors come back as gRPC statuses with the termchat code', async (t) => {
  const g = await grpcUser('g-err');
  const err = async (p: Promise<unknown>) => (await t.throwsAsync(p)) as Error & { code: string; grpcCode: number };
  const e1 = await err(g.joinGroup('#none'));
  t.deepEqual([e1.code, e1.grpcCode], ['NO_SUCH_GROUP', status.NOT_FOUND]);
  await g.createGroup('#taken');
  const e2 = await err(g.createGroup('#taken'));
  t.deepEqual([e2.code, e2.grpcCode], ['GROUP_TAKEN', status.ALREADY_EXISTS]);
  const other = await grpcUser('g-other');
  const e3 = await err(other.kickFromGroup('#taken', 'g-err'));
  t.deepEqual([e3.code, e3.grpcCode], ['NOT_OWNER', status.PERMISSION_DENIED]);
  const e4 = await err(other.send('#taken', 'x'));
  t.deepEqual([e4.code, e4.grpcCode], ['NOT_A_MEMBER', status.PERMISSION_DENIED]);
  const anon = await GrpcChatClient.connect({ port: srv.grpcPort });
  open.push(anon);
  const e5 = await err(anon.listGroups());
  t.deepEqual([e5.code, e5.grpcCode], ['NOT_LOGGED_IN', status.UNAUTHENTICATED]);
});
