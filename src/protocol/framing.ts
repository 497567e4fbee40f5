/**
 * Frames: a fixed header, then the body. FrameDecoder turns TCP chunks of any size into whole frames.
 */
import { ProtocolError } from './errors.js';
import { u32, u8 } from './fields.js';

/** The frame header, in wire order (big-endian). */
export const header = {
  /** Length of the body that follows, in bytes (the header not included). */
  length: u32,
  /** Which message the body is (see schema.ts). */
  opcode: u8,
  /** Chosen by the client per request (non-zero) and echoed in the response; 0 on server pushes. */
  requestId: u32,
} as const;

const offsets = (() => {
  let at = 0;
  const o: Record<keyof typeof header, number> = { length: 0, opcode: 0, requestId: 0 };
  for (const [name, f] of Object.entries(header) as [keyof typeof header, { size: number }][]) {
    o[name] = at;
    at += f.size;
  }
  return { ...o, size: at };
})();

export const HEADER_SIZE = offsets.size;
/** Where each header field sits in a frame, for code that reads frames without decoding them. */
export const HEADER_AT = { length: offsets.length, opcode: offsets.opcode, requestId: offsets.requestId } as const;
const LEN_AT = offsets.length;
const OP_AT = offsets.opcode;
const ID_AT = offsets.requestId;

/** Default largest body a peer accepts; a declared length above it is refused before buffering. */
export const DEFAULT_MAX_BODY = 256 * 1024;

export interface Frame {
  opcode: number;
  requestId: number;
  /** A view, not a copy; it stays valid (the decoder never writes over bytes it handed out). */
  body: Buffer;
}

/** Writes a header for `bodyLength` bytes at `at` in `buf`. */
export function writeHeader(buf: Buffer, at: number, opcode: number, requestId: number, bodyLength: number): void {
  buf.writeUInt32BE(bodyLength, at + LEN_AT);
  buf.writeUInt8(opcode, at + OP_AT);
  buf.writeUInt32BE(requestId, at + ID_AT);
}

const MIN_CAPACITY = 64 * 1024;

/**
 * Reassembles frames from a byte stream. Whole frames inside a chunk are returned as views of that
 * chunk (no copy); only a partial frame's bytes are copied, once, into an append-only buffer. A
 * declared length over `maxBody` throws FRAME_TOO_LARGE, after which the stream cannot be resynced
 * and the decoder refuses further input.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  private failed: ProtocolError | undefined;

  constructor(readonly maxBody = DEFAULT_MAX_BODY) {}

  /** Bytes held that do not yet form a whole frame. */
  get pending(): number {
    return this.end - this.start;
  }

  /** Feeds one chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): Frame[] {
    if (this.failed) throw this.failed;
    const frames: Frame[] = [];
    if (this.start === this.end) {
      const used = this.scan(chunk, 0, chunk.length, frames);
      if (used < chunk.length) this.append(chunk.subarray(used));
      return frames;
    }
    this.append(chunk);
    this.start = this.scan(this.buf, this.start, this.end, frames);
    return frames;
  }

  /** Cuts whole frames out of buf[from, to); returns where the first incomplete frame starts. */
  private scan(buf: Buffer, from: number, to: number, frames: Frame[]): number {
    let at = from;
    while (to - at >= HEADER_SIZE) {
      const length = buf.readUInt32BE(at + LEN_AT);
      if (length > this.maxBody) {
        this.failed = new ProtocolError(
          'FRAME_TOO_LARGE',
          `frame body of ${length} bytes is over the ${this.maxBody}-byte limit`,
          'length',
        );
        throw this.failed;
      }
      const next = at + HEADER_SIZE + length;
      if (next > to) break;
      frames.push({
        opcode: buf[at + OP_AT]!,
        requestId: buf.readUInt32BE(at + ID_AT),
        body: buf.subarray(at + HEADER_SIZE, next),
      });
      at = next;
    }
    return at;
  }

  /** Appends after the held bytes; on overflow moves the held bytes to a fresh, larger buffer. */
  private append(data: Buffer): void {
    const held = this.end - this.start;
    if (this.buf.length - this.end < data.length) {
      let want = held + data.length;
      if (held + data.length >= HEADER_SIZE) {
        // Room for the whole frame being assembled, so its bytes are copied only once more.
        const first = held >= HEADER_SIZE ? this.buf : Buffer.concat([this.buf.subarray(this.start, this.end), data]);
        const from = held >= HEADER_SIZE ? this.start : 0;
        const length = first.readUInt32BE(from + LEN_AT);
        if (length <= this.maxBody) want = Math.max(want, HEADER_SIZE + length);
      }
      const next = Buffer.allocUnsafe(Math.max(want, MIN_CAPACITY));
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.start = 0;
      this.end = held;
    }
    data.copy(this.buf, this.end);
    this.end += data.length;
  }
}
