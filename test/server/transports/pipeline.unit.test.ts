/**
 * The request pipeline without a socket: answers in request order, the in-flight and answer-byte
 * budgets, requests that hold back the ones after them, fair turns, and what a bad frame gets.
 */
import test from 'ava';
import { encode, layout, type Request, type Response } from '../../../src/protocol/codec.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DEFAULT_MAX_BODY, HEADER_AT, HEADER_SIZE } from '../../../src/protocol/framing.js';
import { answerBound, RequestPipeline, Turns, type PipelineLimits } from '../../../src/server/transports/pipeline.js';

const CAPS = { maxFetch: 200, maxListLimit: 500 };

/** A pipeline whose service answers only when the test says so, and whose turns the test steps by hand. */
function harness(limits: Partial<PipelineLimits> = {}, waits: (req: Request) => boolean = () => false) {
  const written: Array<[number, Response['type'], number?]> = [];
  const started: Request[] = [];
  const replies: Array<(r: Response, after?: () => void) => void> = [];
  let reading = true;
  let unsent = 0;
  const nextTurn: Array<() => void> = [];
  const step = () => {
    for (const fn of nextTurn.splice(0)) fn();
  };
  const p = new RequestPipeline(
    {
      handle: (req, reply) => {
        started.push(req);
        replies.push(reply);
        return waits(req);
      },
      write: (answer, requestId) => written.push([requestId, answer.type, answer.type === 'Error' ? answer.code : undefined]),
      unsentBytes: () => unsent,
      pause: () => (reading = false),
      resume: () => (reading = true),
      complain: () => undefined,
    },
    { maxInflight: 1024, maxAnswerBytes: 1 << 20, turnBudget: 128, ...limits },
    CAPS,
    new Turns(512, (fn) => nextTurn.push(fn)),
    (fn) => nextTurn.push(fn),
  );
  return {
    p,
    written,
    started,
    reply: (i: number, r: Response = { type: 'Pong' }, after?: () => void) => replies[i]!(r, after),
    reading: () => reading,
    setUnsent: (n: number) => (unsent = n),
    step,
  };
}

const pings = (from: number, n: number) => Buffer.concat(Array.from({ length: n }, (_, i) => encode({ type: 'Ping' }, from + i)));

test('answers leave in request order whatever order the service answers in', (t) => {
  const h = harness();
  h.p.data(pings(1, 3));
  t.is(h.started.length, 3);
  h.reply(2);
  h.reply(1);
  t.deepEqual(h.written, []);
  h.reply(0);
  t.deepEqual(
    h.written.map(([id]) => id),
    [1, 2, 3],
  );
});

test('past maxInflight unanswered requests the pipeline stops reading, and goes on once one is answered', (t) => {
  const h = harness({ maxInflight: 2 });
  h.p.data(pings(1, 5));
  t.is(h.started.length, 2);
  t.false(h.reading());
  t.true(h.p.waiting);
  h.reply(0);
  h.step();
  t.is(h.started.length, 3);
  h.reply(1);
  h.reply(2);
  h.step();
  t.is(h.started.length, 5);
  t.true(h.reading());
});

test('a Fetch reserves the bytes of the largest batch it may answer; past maxAnswerBytes nothing more starts', (t) => {
  const fetchBound = answerBound({ type: 'FetchUndelivered', max: 0 }, CAPS);
  const h = harness({ maxAnswerBytes: fetchBound + 10 });
  h.p.data(Buffer.concat([encode({ type: 'FetchUndelivered', max: 0 }, 1), pings(2, 2)]));
  // The Fetch's bound plus one small answer reach the budget.
  t.is(h.started.length, 2);
  t.is(h.p.reservedBytes, fetchBound + answerBound({ type: 'Ping' }, CAPS));
  t.false(h.reading());
  h.reply(0, { type: 'MessageBatch', remaining: 0, messages: [] });
  h.step();
  t.is(h.started.length, 3);
});

test('answer bytes the socket has not taken count against the same budget', (t) => {
  const h = harness({ maxAnswerBytes: 1000 });
  h.setUnsent(1000);
  h.p.data(pings(1, 1));
  t.is(h.started.length, 0);
  t.false(h.reading());
  h.setUnsent(0);
  h.p.pump();
  t.is(h.started.length, 1);
});

test('a request that must finish first holds back the ones after it', (t) => {
  const h = harness({}, (req) => req.type === 'Login');
  h.p.data(Buffer.concat([encode({ type: 'Login', username: 'bob', password: 'pw' }, 1), pings(2, 2)]));
  t.deepEqual(
    h.started.map((r) => r.type),
    ['Login'],
  );
  h.reply(0, { type: 'LoginOk', undelivered: 0 });
  h.step();
  t.deepEqual(
    h.started.map((r) => r.type),
    ['Login', 'Ping', 'Ping'],
  );
});

test('one connection starts at most turnBudget requests a turn; the rest wait for the next turn', (t) => {
  const h = harness({ turnBudget: 3 });
  h.p.data(pings(1, 7));
  t.is(h.started.length, 3);
  h.step();
  t.is(h.started.length, 6);
  h.step();
  t.is(h.started.length, 7);
});

test('all connections together share one turn', (t) => {
  const turns = new Turns(4, () => undefined);
  t.deepEqual(
    Array.from({ length: 6 }, () => turns.take()),
    [true, true, true, true, false, false],
  );
});

test('an undecodable request gets an Error answer in its place in the order, and the stream goes on', (t) => {
  const h = harness();
  const bad = encode({ type: 'Ping' }, 2);
  bad[HEADER_AT.opcode] = 0x3f; // an opcode no message has
  h.p.data(Buffer.concat([pings(1, 1), bad, pings(3, 1)]));
  t.is(h.started.length, 2);
  h.reply(0);
  h.reply(1);
  t.deepEqual(h.written, [
    [1, 'Pong', undefined],
    [2, 'Error', ErrorCode.UNKNOWN_OPCODE],
    [3, 'Pong', undefined],
  ]);
});

test('a frame longer than the limit cannot be resynced: the pipeline says so', (t) => {
  const h = harness();
  const header = Buffer.alloc(HEADER_SIZE);
  header[HEADER_AT.opcode] = 0x09;
  header.writeUInt32BE(DEFAULT_MAX_BODY + 1, HEADER_AT.length);
  const err = h.p.data(header);
  t.is(err?.code, 'FRAME_TOO_LARGE');
});

test('at shutdown every request read and not yet started is started, in order', (t) => {
  const h = harness({ maxInflight: 1 });
  h.p.data(pings(1, 4));
  h.p.stopReading();
  t.is(h.started.length, 1);
  h.p.answerTheRest();
  t.is(h.started.length, 4);
  for (let i = 0; i < 4; i++) h.reply(i);
  t.deepEqual(
    h.written.map(([id]) => id),
    [1, 2, 3, 4],
  );
  t.false(h.reading());
});

test('answer bounds come from the schema and the service caps', (t) => {
  // A Fetch may answer a GroupMessageBatch, the larger of its two answers.
  const batch = layout('GroupMessageBatch');
  t.true(batch.list!.itemSize > layout('MessageBatch').list!.itemSize);
  t.is(answerBound({ type: 'FetchUndelivered', max: 5 }, CAPS), HEADER_SIZE + batch.fixed + 5 * batch.list!.itemSize);
  const members = layout('MemberList');
  t.is(answerBound({ type: 'ListMembers', group: '#g', offset: 0, limit: 100 }, CAPS), HEADER_SIZE + members.fixed + 100 * members.list!.itemSize);
  t.is(answerBound({ type: 'ListGroups', pattern: '', offset: 0, limit: 0 }, CAPS), answerBound({ type: 'ListGroups', pattern: '', offset: 0, limit: 60_000 }, CAPS));
  t.is(answerBound({ type: 'FetchUndelivered', max: 60_000 }, CAPS), answerBound({ type: 'FetchUndelivered', max: 0 }, CAPS));
  t.is(answerBound({ type: 'Ping' }, CAPS), HEADER_SIZE + layout('Error').fixed);
});

test('a push that must follow an answer leaves after it, even when an earlier answer held that one back', (t) => {
  const h = harness();
  h.p.data(pings(1, 2));
  const log: string[] = [];
  h.reply(1, { type: 'Pong' }, () => log.push(`push after ${h.written.length} answers`));
  t.deepEqual(log, []);
  h.reply(0);
  t.deepEqual(log, ['push after 2 answers']);
});
