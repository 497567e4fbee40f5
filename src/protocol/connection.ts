/**
 * Socket plumbing both ends share. A syscall per frame is slow, and so is a writev of hundreds of
 * small buffers: frames are encoded straight into one buffer per connection, and every connection
 * that has output writes it once per event-loop turn.
 */
import type net from 'node:net';
import { encodeInto, frameSize, type Message, type RawFields } from './codec.js';

const MIN_CAPACITY = 16 * 1024;

/** Writers with output waiting for the end of this turn. */
let dirty: FrameWriter[] = [];
let scheduled = false;

function flushAll(): void {
  scheduled = false;
  const list = dirty;
  dirty = [];
  for (const w of list) w.flush();
}

/** Collects the frames of one turn for a socket and writes them with one write() at the end of it. */
export class FrameWriter {
  private buf: Buffer | undefined;
  private len = 0;
  private queued = false;

  /** `afterFlush` runs after each batch was handed to the socket (e.g. to check backpressure). */
  constructor(
    private readonly socket: net.Socket,
    private readonly afterFlush?: () => void,
  ) {}

  /** Bytes encoded this turn and not yet handed to the socket. */
  get pendingBytes(): number {
    return this.len;
  }

  /** Queues an already encoded frame. */
  write(frame: Buffer): void {
    const at = this.reserve(frame.length);
    frame.copy(this.buf!, at);
  }

  /** Encodes a frame into this turn's output. Throws ProtocolError (and queues nothing) if it does not fit the schema. */
  frame(msg: Message, requestId: number, raw?: RawFields): void {
    const n = frameSize(msg);
    const at = this.reserve(n);
    try {
      encodeInto(this.buf!, at, msg, requestId, raw);
    } catch (err) {
      this.len = at;
      throw err;
    }
  }

  /** Hands this turn's output to the socket now. */
  flush(): void {
    this.queued = false;
    if (this.len === 0) return;
    const out = this.buf!.subarray(0, this.len);
    this.len = 0;
    if (!this.socket.destroyed) this.socket.write(out);
    // Usually the kernel took it all at once and the buffer is free again: reuse it, since every
    // fresh one is external memory that makes V8 collect garbage sooner. Else it stays with the socket.
    if (this.socket.writableLength !== 0) this.buf = undefined;
    this.afterFlush?.();
  }

  private reserve(n: number): number {
    const need = this.len + n;
    if (!this.buf || this.buf.length < need) {
      const next = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, need, (this.buf?.length ?? 0) * 2));
      if (this.buf) this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    if (!this.queued) {
      this.queued = true;
      dirty.push(this);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushAll);
      }
    }
    const at = this.len;
    this.len = need;
    return at;
  }
}
