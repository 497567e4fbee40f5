/**
 * One memory budget for the whole server: many connections flooding Fetches together hold no more
 * than the server-wide budget (plus one answer each), the heaviest wait, and another client is
 * served meanwhile.
 */
import test from 'ava';
import { encode, layout } from '../../src/protocol/codec.js';
import { HEADER_SIZE } from '../../src/protocol/framing.js';
import { SERVICE_DEFAULTS } from '../../src/server/serviceOptions.js';
import { PASSWORD, raw, startTestServer } from './helpers.js';

const ATTACKERS = 8;
const WAITING = 200;
const FETCHES = 300;
const BUDGET = 512 * 1024;

test('8 connections pipelining Fetches stay within the server-wide budget, and another client is served meanwhile', async (t) => {
  const srv = await startTestServer({ metricsPort: 0, maxAnswerBytesTotal: BUDGET });
  t.teardown(() => srv.stop());
  const filler = await srv.user('budget-filler');
  const text = 'x'.repeat(400);
  for (let k = 0; k < ATTACKERS; k++) {
    await filler.register(`budget-${k}`, PASSWORD);
    await Promise.all(Array.from({ length: WAITING }, () => filler.send(`budget-${k}`, text)));
  }
  const attackers = [];
  for (let k = 0; k < ATTACKERS; k++) {
    const r = await raw(srv.port);
    r.socket.write(encode({ type: 'Login', username: `budget-${k}`, password: PASSWORD }, 1));
    await r.next(1);
    attackers.push(r);
  }
  // Every attacker asks for the same full page again and again, and reads slowly.
  const flood = Buffer.concat(Array.from({ length: FETCHES }, (_, i) => encode({ type: 'FetchUndelivered', max: 0 }, 2 + i)));
  for (const r of attackers) {
    r.socket.pause();
    r.socket.write(flood);
  }
  const peak = { used: 0 };
  const sampler = setInterval(() => {
    void fetch(`http://127.0.0.1:${srv.metricsPort}/metrics`)
      .then((res) => res.text())
      .then((m) => {
        const line = m.split('\n').find((l) => l.startsWith('termchat_answer_budget_bytes '));
        peak.used = Math.max(peak.used, Number(line?.split(' ')[1] ?? 0));
      });
  }, 20);
  t.teardown(() => clearInterval(sampler));
  // Another client logs in and sends while the flood is on.
  const other = await srv.user('budget-other');
  const id = await other.send('budget-filler', 'still served');
  t.true(id > 0);
  // Let the attackers read on.
  for (const r of attackers) r.socket.resume();
  await Promise.all(attackers.map((r) => r.next(1 + FETCHES)));
  clearInterval(sampler);
  const m = await (await fetch(`http://127.0.0.1:${srv.metricsPort}/metrics`)).text();
  const waits = Number(m.split('\n').find((l) => l.startsWith('termchat_answer_budget_waits_total '))?.split(' ')[1]);
  t.log(`peak answer bytes pending ${peak.used}; budget ${BUDGET}; waits ${waits}`);
  t.true(waits > 0, 'the budget held connections back');
  // The budget, plus at most one answer per connection started before it was counted.
  const batch = HEADER_SIZE + layout('MessageBatch').fixed + SERVICE_DEFAULTS.maxFetch * layout('MessageBatch').list!.itemSize;
  t.true(peak.used <= BUDGET + ATTACKERS * batch, `peak ${peak.used}`);
});
