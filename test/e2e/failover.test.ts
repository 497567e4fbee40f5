/**
 * End to end: `termchat --server a,b` in a real pseudo-terminal, the server it is on killed with
 * SIGKILL; it goes on with the next one by itself, logged in, and the status bar says where.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient, type ChatMessage } from '../../src/protocol/client.js';
import { exited, spawnServer } from '../server/helpers.js';
import { startTui, typeCredentials, withScreen } from './pty.js';
import { waitFor } from '../wait.js';

test('kill -9 of the server the TUI is on: it moves to the next one of --server, logs in again, and chat goes on there', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'termchat-e2e-failover-'));
  const servers = [await spawnServer(path.join(dir, 'a'), ['--store', 'memory']), await spawnServer(path.join(dir, 'b'), ['--store', 'memory'])];
  const clients: ChatClient[] = [];
  const tui = startTui(servers.map((s) => `127.0.0.1:${s.port}`).join(','), path.join(dir, 'bob.log'));
  t.teardown(async () => {
    try {
      tui.proc.kill();
    } catch {
      // already gone
    }
    await Promise.all(clients.map((c) => c.close()));
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await exited(s.child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  // Two nodes with stores of their own: the accounts exist on both.
  for (const s of servers) {
    const c = await ChatClient.connect({ port: s.port });
    await c.register('bob', 'secret');
    await c.register('alice', 'secret');
    await c.close();
  }

  await tui.waitText(`● 127.0.0.1:${servers[0]!.port}`);
  await typeCredentials(tui, 'bob', 'secret');
  await tui.waitText(`● 127.0.0.1:${servers[0]!.port} │ bob`);

  servers[0]!.child.kill('SIGKILL');
  await exited(servers[0]!.child);
  await tui.waitText(`● 127.0.0.1:${servers[1]!.port} │ bob`);

  const alice = await ChatClient.connect({ port: servers[1]!.port });
  clients.push(alice);
  await alice.login('alice', 'secret');
  const got: ChatMessage[] = [];
  alice.on('message', (m) => got.push(m));
  await alice.send('bob', 'you moved');
  await tui.waitText(/\d\d:\d\d alice: you moved/);
  tui.type('/msg alice so I did\r');
  await tui.waitText(/you → alice: so I did ✓/);
  await waitFor(() => got.some((m) => m.content === 'so I did'), withScreen('alice got the answer', tui.text));
  t.pass();
});
