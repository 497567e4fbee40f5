/**
 * Bytes -> frames -> messages, for both ends: what a peer's bytes may be, said once. A client
 * decodes each frame as it arrives (read()); the server decodes a frame only when its pipeline
 * starts it (frames() now, message() later). Nothing here allocates per frame beyond the decoded
 * message itself.
 */
import { decode, type Message } from './codec.js';
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_BODY, FrameDecoder, type Frame } from './framing.js';
import { schema, type Direction } from './schema.js';

export class MessageReader {
  private readonly decoder: FrameDecoder;
  private readonly accepted: Readonly<Record<Direction, boolean>>;
  private readonly expected: string;

  /** `accept`: the directions this end receives (a server: requests; a client: responses and pushes). */
  constructor(accept: readonly Direction[], maxBody = DEFAULT_MAX_BODY) {
    this.decoder = new FrameDecoder(maxBody);
    this.accepted = { request: accept.includes('request'), response: accept.includes('response'), push: accept.includes('push') };
    this.expected = accept.join(' or ');
  }

  /** Bytes of a frame begun and not yet complete. */
  get partialBytes(): number {
    return this.decoder.pending;
  }

  /**
   * The whole frames this chunk completes, in order. A stream that cannot be resynced (a declared
   * length over the limit) gives a ProtocolError instead, and every later chunk gives it again.
   */
  frames(chunk: Buffer): Frame[] | ProtocolError {
    try {
      return this.decoder.push(chunk);
    } catch (err) {
      return err instanceof ProtocolError ? err : new ProtocolError('BAD_SIZE', 'unreadable stream');
    }
  }

  /**
   * A frame's message, or a ProtocolError saying why it is not one this end may receive (unknown
   * opcode, wrong size, bad field, wrong direction). Never throws: the stream goes on after it.
   */
  message(f: Frame): Message | ProtocolError {
    let msg: Message;
    try {
      msg = decode(f.opcode, f.body);
    } catch (err) {
      return err instanceof ProtocolError ? err : new ProtocolError('BAD_FIELD', 'undecodable body');
    }
    if (!this.accepted[schema[msg.type].dir]) return new ProtocolError('UNEXPECTED_MESSAGE', `${msg.type} is not a ${this.expected}`, 'opcode');
    return msg;
  }

  /**
   * Feeds a chunk and hands every frame it completes to `each`, decoded (or the error that frame
   * raised). Returns the ProtocolError of a stream that cannot be resynced, after which nothing
   * more is read.
   */
  read(chunk: Buffer, each: (msg: Message | ProtocolError, f: Frame) => void): ProtocolError | undefined {
    const frames = this.frames(chunk);
    if (frames instanceof ProtocolError) return frames;
    for (const f of frames) each(this.message(f), f);
    return undefined;
  }
}
