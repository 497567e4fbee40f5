/**
 * A lean group client for the group benchmark, as lean as termchatWire.ts's pair: it reads
 * GroupMessage pushes by their header and the content's sequence number and acknowledges once per
 * read (one cumulative Ack), and writes Send frames to a group from a template, counting the
 * Accepted answers. It speaks the real protocol, so the figures measure the server.
 */
import type net from 'node:net';
import { encode, fieldSpan, opcodeOf } from '../../src/protocol/codec.js';
import { FrameWriter } from '../../src/protocol/connection.js';
import { HEADER_AT, HEADER_SIZE } from '../../src/protocol/framing.js';
import { maxValue, u32 } from '../../src/protocol/fields.js';
import { loggedIn } from './termchatWire.js';

const CLIENT_ID = fieldSpan('Send', 'clientId');
const SEND_CONTENT = fieldSpan('Send', 'content');
const PUSH_ID = fieldSpan('GroupMessage', 'id');
const PUSH_CONTENT = fieldSpan('GroupMessage', 'content');
const GROUP_MESSAGE_OP = opcodeOf('GroupMessage');
const ACCEPTED_OP = opcodeOf('Accepted');
const OK_OP = opcodeOf('Ok');
const OP_AT = HEADER_AT.opcode;
const LEN_AT = HEADER_AT.length;
const ID_AT = HEADER_AT.requestId;

/** Calls `each(frameStart, bodyLength)` for every whole frame of a socket's stream. */
function frames(s: net.Socket, each: (buf: Buffer, at: number) => void, afterRead?: () => void): void {
  let rest = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    const buf = rest.length ? Buffer.concat([rest, d]) : d;
    let at = 0;
    while (buf.length - at >= HEADER_SIZE) {
      const len = buf.readUInt32BE(at + LEN_AT);
      if (buf.length - at < HEADER_SIZE + len) break;
      each(buf, at);
      at += HEADER_SIZE + len;
    }
    const left = buf.subarray(at);
    rest = left.length ? Buffer.from(left) : Buffer.alloc(0);
    afterRead?.();
  });
}

export interface GroupClient {
  name: string;
  /** Group messages pushed to it (it acknowledges them once per read). */
  received: number;
  /** Called with each pushed message's sequence number (the number its content starts with). */
  onPush: (seq: number) => void;
  /** Sends one message to `group`; `content` should start with its sequence number and a space. */
  send(group: string, content: string): void;
  /** Accepted answers so far, and refusals. */
  accepted: number;
  errors: number;
  /** Called on each answer to a Send. */
  onAccepted: () => void;
  close(): void;
}

/** A member of groups logged in as `name`: it reads and acknowledges its pushes, and may send. */
export async function groupClient(port: number, name: string): Promise<GroupClient> {
  const s = await loggedIn(port, name);
  const w = new FrameWriter(s);
  const templates = new Map<string, Buffer>();
  let clientId = 1 + Math.floor(Math.random() * 1e9);
  let acked = 0;
  let last = 0;
  const g: GroupClient = {
    name,
    received: 0,
    onPush: () => {},
    accepted: 0,
    errors: 0,
    onAccepted: () => {},
    send(group, content) {
      let template = templates.get(group);
      if (!template) templates.set(group, (template = encode({ type: 'Send', recipient: group, clientId: 1, flags: 0, content: '' }, 1)));
      const f = Buffer.allocUnsafe(template.length);
      template.copy(f, 0, 0, HEADER_SIZE + SEND_CONTENT.at);
      f.writeUInt32BE(clientId, HEADER_SIZE + CLIENT_ID.at);
      clientId = clientId >= maxValue(u32) ? 1 : clientId + 1;
      const n = f.write(content, HEADER_SIZE + SEND_CONTENT.at, SEND_CONTENT.size, 'latin1');
      f.fill(0, HEADER_SIZE + SEND_CONTENT.at + n);
      w.write(f);
    },
    close: () => s.destroy(),
  };
  frames(
    s,
    (buf, at) => {
      if (buf.readUInt32BE(at + ID_AT) !== 0) {
        // An answer: to a Send (Accepted), or to an Ack (Ok).
        const op = buf[at + OP_AT];
        if (op === ACCEPTED_OP) {
          g.accepted++;
          g.onAccepted();
        } else if (op !== OK_OP) {
          g.errors++;
          g.onAccepted();
        }
        return;
      }
      if (buf[at + OP_AT] !== GROUP_MESSAGE_OP) return;
      const body = at + HEADER_SIZE;
      last = buf.readUInt32BE(body + PUSH_ID.at);
      const c = body + PUSH_CONTENT.at;
      g.received++;
      g.onPush(Number(buf.toString('latin1', c, buf.indexOf(0x20, c))));
    },
    () => {
      if (last > acked) {
        acked = last;
        w.frame({ type: 'Ack', upTo: last }, 0xffffffff);
      }
    },
  );
  return g;
}
