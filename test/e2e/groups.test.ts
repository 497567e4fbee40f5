/**
 * A group in real pseudo-terminals: two termchat processes create, join, talk in and leave a group
 * window (`#name`), driven by keys through node-pty, their screens read back through a headless xterm.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../../src/protocol/client.js';
import { spawnServer } from '../server/helpers.js';
import { startTui, typeCredentials, withScreen, type Screen } from './pty.js';
import { waitFor } from '../wait.js';

async function registerAndLogIn(s: Screen, name: string, password: string): Promise<void> {
  await s.waitText('termchat — log in');
  await s.waitText('connected)');
  s.type('\x12'); // Ctrl-R: register instead
  await s.waitText('termchat — create an account');
  await typeCredentials(s, name, password);
  await s.waitText(`│ ${name}`);
}

test('a group window: create, join, talk with the senders shown, members, part', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-e2e-groups-'));
  const { child: server, port } = await spawnServer(dir);
  const alice = startTui(`127.0.0.1:${port}`, path.join(dir, 'alice.log'));
  const bob = startTui(`127.0.0.1:${port}`, path.join(dir, 'bob.log'));
  t.teardown(() => {
    for (const s of [alice, bob]) {
      try {
        s.proc.kill();
      } catch {
        // already gone
      }
    }
    server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await registerAndLogIn(alice, 'alice', 'secret1');
  await registerAndLogIn(bob, 'bob', 'secret2');

  alice.type('/create #rust\r');
  await alice.waitText('created #rust');
  await alice.waitText('2 #rust');
  await alice.waitText('To: #rust');
  bob.type('/join #rust\r');
  await bob.waitText('joined #rust');
  await bob.waitText('To: #rust');
  await alice.waitText('bob joined #rust');
  // Alice's users pane, on #rust all along, lists bob once he has joined (asked again on GroupChanged).
  const memberRow = /│\s+[●○]\s+bob\s/;
  await alice.waitText(memberRow);

  // A plain line in the group's window goes to the group; each member sees who wrote it.
  alice.type('hello rustaceans\r');
  await alice.waitText(/you → #rust: hello rustaceans ✓/);
  await bob.waitText(/\d\d:\d\d alice: hello rustaceans/);
  bob.type('hi alice, borrow checker says hi\r');
  await bob.waitText(/you → #rust: hi alice, borrow checker says hi/);
  await alice.waitText(/\d\d:\d\d bob: hi alice, borrow checker says hi/);
  // Delivered to every member (a GroupDelivered with the whole count): the double mark.
  await bob.waitText(/you → #rust: hi alice, borrow checker says hi ✓✓/);

  // In the group's window the users pane lists its members: carol, who is not in it, only in the inbox's.
  const carol = await ChatClient.connect({ port });
  t.teardown(() => carol.close());
  await carol.register('carol', 'secret3');
  alice.type('\x1b1');
  await alice.waitText('Users (3)');
  alice.type('\x1b2');
  await alice.waitText('Users (2)');
  t.false(alice.text().includes('carol'));
  bob.type('/members\r');
  await bob.waitText('#rust, 2 members: @alice, bob');
  fs.writeFileSync(path.join(os.tmpdir(), 'termchat-e2e-group-screen.txt'), bob.text() + '\n');
  t.log(bob.text());

  // Bob leaves: his window closes, alice hears it, and nothing more of #rust reaches him.
  bob.type('/part\r');
  await bob.waitText('left #rust');
  await waitFor(() => !bob.text().includes('2 #rust'), withScreen("bob's #rust window closed", bob.text));
  await alice.waitText('bob left #rust');
  await waitFor(() => !memberRow.test(alice.text()), withScreen("bob gone from alice's #rust members", alice.text));
  alice.type('anyone still here?\r');
  await alice.waitText(/you → #rust: anyone still here\?/);
  bob.type('/groups\r');
  await bob.waitText('1 group: #rust (1)');
  t.false(bob.text().includes('anyone still here'));
});
