import { fc, testProp } from '@fast-check/ava';
import { DeliveredIds } from '../../src/server/deliveredIds.js';

type Op = { add: number } | { upTo: number } | { del: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(fc.record({ add: fc.nat(200) }), fc.record({ upTo: fc.nat(200) }), fc.record({ del: fc.nat(200) }));

testProp(
  'behaves like a set of ids from which a cumulative ack takes every id <= upTo, in order',
  [fc.array(opArb, { maxLength: 300 })],
  (t, ops) => {
    const d = new DeliveredIds();
    const model = new Set<number>();
    for (const op of ops) {
      if ('add' in op) {
        d.add(op.add);
        model.add(op.add);
      } else if ('del' in op) {
        d.delete(op.del);
        model.delete(op.del);
      } else {
        const want = [...model].filter((id) => id <= op.upTo).sort((a, b) => a - b);
        for (const id of want) model.delete(id);
        t.deepEqual(d.takeUpTo(op.upTo), want);
      }
      t.is(d.size, model.size);
    }
    for (let id = 0; id <= 200; id++) t.is(d.has(id), model.has(id));
  },
);
