/** fast-check arbitraries generated from schema.ts, so a new message is covered without a new test. */
import { fc } from '@fast-check/ava';
import type { Message } from '../../src/protocol/codec.js';
import type { Field, Fields } from '../../src/protocol/fields.js';
import { schema, type MessageName } from '../../src/protocol/schema.js';

const asciiChar = fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c));
const printableChar = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));

export function fieldArb(f: Field): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case 'ascii':
      return fc.string({ unit: f.printable ? printableChar : asciiChar, maxLength: f.size });
    case 'u8':
      return fc.integer({ min: 0, max: 0xff });
    case 'u16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'u32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'f64':
      return fc.double({ noNaN: true });
    case 'struct':
      return structArb(f.fields);
    case 'list':
      return fc.array(fieldArb(f.item), { maxLength: 12 });
  }
}

function structArb(fields: Fields): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, f] of Object.entries(fields)) parts[name] = fieldArb(f);
  return fc.record(parts);
}

export const messageNames = Object.keys(schema) as MessageName[];

/** Any message of the schema, with field values anywhere in their valid range. */
export const messageArb: fc.Arbitrary<Message> = fc
  .constantFrom(...messageNames)
  .chain((type) => structArb(schema[type].fields).map((body) => ({ ...body, type }) as Message));

/** Valid request ids: any u32 (0 is for pushes but still encodes). */
export const requestIdArb = fc.integer({ min: 0, max: 0xffffffff });
