/** The Python client that ends docs/PROTOCOL.md, run as it is against a live server. */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { renderProtocolDoc } from '../../scripts/gen-protocol-doc.js';
import { startServer } from '../../src/server/server.js';
import { removeDir, tempDir, TEST_COST } from './helpers.js';

const python = spawnSync('python3', ['--version']).status === 0;

test('the Python example of the protocol doc registers, logs in, sends itself a message and receives it', async (t) => {
  if (!python) {
    t.log('python3 is not installed: the example was not run');
    t.pass();
    return;
  }
  const code = /## Example: a client in Python[\s\S]*?```python\n([\s\S]*?)```/.exec(renderProtocolDoc())?.[1];
  t.truthy(code);
  const dir = tempDir();
  const file = path.join(dir, 'client.py');
  fs.writeFileSync(file, code!);
  const srv = await startServer({ port: 0, store: 'memory', scryptCost: TEST_COST });
  t.teardown(async () => {
    await srv.close();
    removeDir(dir);
  });
  const run = () => promisify(execFile)('python3', [file, '127.0.0.1', String(srv.port)], { timeout: 60_000 });
  const first = await run();
  t.regex(first.stdout, /logged in, 0 messages waiting\naccepted as message (\d+)\nreceived message \1 from alice: hello\n/);
  // Again: the name is taken now, and the example says so and goes on.
  const second = await run();
  t.regex(second.stdout, /^register: username alice is taken\n[\s\S]*received message \d+ from alice: hello\n$/);
});

test('the Python group example creates a group, a member gets the message and acknowledges it, the sender hears delivered to 1 of 1', async (t) => {
  if (!python) {
    t.log('python3 is not installed: the example was not run');
    t.pass();
    return;
  }
  const code = /## Example: a group session in Python[\s\S]*?```python\n([\s\S]*?)```/.exec(renderProtocolDoc())?.[1];
  t.truthy(code);
  const dir = tempDir();
  const file = path.join(dir, 'group.py');
  fs.writeFileSync(file, code!);
  const srv = await startServer({ port: 0, store: 'memory', scryptCost: TEST_COST, groups: { receiptMs: 20 } });
  t.teardown(async () => {
    await srv.close();
    removeDir(dir);
  });
  const run = () => promisify(execFile)('python3', [file, '127.0.0.1', String(srv.port)], { timeout: 60_000 });
  const first = await run();
  t.regex(first.stdout, /^accepted as message (\d+)\nbob got message \1 in #demo from alice: hello group\ndelivered to 1 of 1 in #demo\n$/);
  // Again: the accounts and the group exist now, and bob is a member already.
  const second = await run();
  t.regex(second.stdout, /^#demo exists already\naccepted as message (\d+)\nbob got message \1 in #demo from alice: hello group\ndelivered to 1 of 1 in #demo\n$/);
});
