/**
 * Message text on the wire: the schema's content field is ASCII, so text with any non-ASCII
 * character travels as UTF-7 (RFC 2152) with MessageFlags.UTF7 set. Plain ASCII is sent as it is,
 * unflagged, so clients that predate the flag see no change.
 */
import iconv from 'iconv-lite';
import { content, MessageFlags } from '../../protocol/schema.js';

/** The content field's width in bytes. */
export const CONTENT_MAX = content.size;

export interface WireText {
  readonly content: string;
  readonly flags: number;
  /** Bytes the content takes on the wire (what the content field's width limits). */
  readonly bytes: number;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Text as it goes into Send: ASCII unchanged, anything else UTF-7 with the flag. */
export function toWire(text: string): WireText {
  if (!NON_ASCII.test(text)) return { content: text, flags: 0, bytes: text.length };
  const content = iconv.encode(text, 'utf7').toString('latin1');
  return { content, flags: MessageFlags.UTF7, bytes: content.length };
}

/** Bytes `text` would take on the wire. */
export const wireBytes = (text: string): number => toWire(text).bytes;

/** Text for display from a received content field and its flags. */
export function fromWire(content: string, flags: number): string {
  if ((flags & MessageFlags.UTF7) === 0) return content;
  return iconv.decode(Buffer.from(content, 'latin1'), 'utf7');
}
