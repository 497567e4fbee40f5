/**
 * How a batch crosses to the SQLite worker thread and back. Inserts, the hot operation, are packed
 * into one transferred buffer (a structured clone of thousands of objects per batch would cost the
 * event loop more than the rest of a Send); the rare other operations travel as they are.
 */
import type { InsertOp, Op, OpResult } from './store.js';

/** Fixed part of a packed insert: id, sender, recipient, clientId (u32 each), flags (u8), sentAt, dedupSince (f64), content length (u16). */
const FIXED = 4 * 4 + 1 + 8 + 8 + 2;

/** A batch on its way to the worker: `ops[i]` is a number for the insert packed at that offset. */
export interface WireBatch {
  ops: Array<number | Exclude<Op, InsertOp>>;
  packed: ArrayBuffer;
}

/** Results on their way back: 0 for an insert that was stored (the common case), else the result. */
export type WireResults = Array<0 | OpResult>;

export function packBatch(batch: readonly Op[]): { wire: WireBatch; transfer: ArrayBuffer[] } {
  let size = 0;
  for (const op of batch) if (op.op === 'insert') size += FIXED + op.content.length;
  const buf = Buffer.from(new ArrayBuffer(size));
  let at = 0;
  const ops: WireBatch['ops'] = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const op = batch[i]!;
    if (op.op !== 'insert') {
      ops[i] = op;
      continue;
    }
    ops[i] = at;
    buf.writeUInt32LE(op.id, at);
    buf.writeUInt32LE(op.senderId, at + 4);
    buf.writeUInt32LE(op.recipientId, at + 8);
    buf.writeUInt32LE(op.clientId, at + 12);
    buf[at + 16] = op.flags;
    buf.writeDoubleLE(op.sentAt, at + 17);
    buf.writeDoubleLE(op.dedupSince, at + 25);
    buf.writeUInt16LE(op.content.length, at + 33);
    op.content.copy(buf, at + FIXED);
    at += FIXED + op.content.length;
  }
  return { wire: { ops, packed: buf.buffer as ArrayBuffer }, transfer: [buf.buffer as ArrayBuffer] };
}

export function unpackBatch(wire: WireBatch): Op[] {
  const buf = Buffer.from(wire.packed);
  return wire.ops.map((op): Op => {
    if (typeof op !== 'number') return op;
    const at = op;
    const len = buf.readUInt16LE(at + 33);
    return {
      op: 'insert',
      id: buf.readUInt32LE(at),
      senderId: buf.readUInt32LE(at + 4),
      recipientId: buf.readUInt32LE(at + 8),
      clientId: buf.readUInt32LE(at + 12),
      flags: buf[at + 16]!,
      sentAt: buf.readDoubleLE(at + 17),
      dedupSince: buf.readDoubleLE(at + 25),
      content: buf.subarray(at + FIXED, at + FIXED + len),
    };
  });
}

const STORED: OpResult = { ok: true, value: { stored: true } };

export function packResults(batch: readonly Op[], results: OpResult[]): WireResults {
  return results.map((r, i) =>
    batch[i]!.op === 'insert' && r.ok && (r.value as { stored: boolean }).stored ? 0 : r,
  );
}

export function unpackResults(results: WireResults): OpResult[] {
  return results.map((r) => (r === 0 ? STORED : r));
}
