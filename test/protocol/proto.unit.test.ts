import test from 'ava';
import { readFileSync } from 'node:fs';
import { PROTO_PATH, renderProto } from '../../scripts/gen-proto.js';
import { schema, type MessageDef } from '../../src/protocol/schema.js';
import { chatServiceDefinition } from '../../src/protocol/grpcProto.js';

test('src/protocol/chat.proto is exactly what the schema generates (run `npm run docs` after a schema change)', (t) => {
  t.is(readFileSync(PROTO_PATH, 'utf8'), renderProto());
});

test('every request names the responses that answer it, and they are responses', (t) => {
  for (const [name, def] of Object.entries(schema) as [string, MessageDef][]) {
    if (def.dir !== 'request') {
      t.is(def.answers, undefined, name);
      continue;
    }
    t.true((def.answers?.length ?? 0) > 0, name);
    for (const a of def.answers ?? []) t.is((schema as Record<string, MessageDef>)[a]?.dir, 'response', `${name} -> ${a}`);
  }
});

test('the generated proto loads and serves every request of the schema as a unary call, plus Subscribe', (t) => {
  const def = chatServiceDefinition();
  const requests = Object.entries(schema).filter(([, d]) => d.dir === 'request').map(([n]) => n);
  t.deepEqual(Object.keys(def).sort(), [...requests, 'Subscribe'].sort());
  for (const n of requests) t.false(def[n]!.responseStream, n);
  t.true(def.Subscribe!.responseStream);
});
