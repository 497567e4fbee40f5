/**
 * A 32-bit FNV-1a digest of the content, kept with each resend record so that a client id reused
 * for a different text is refused (CLIENT_ID_REUSED) even after the message itself left the queue.
 */
export function contentDigest(b: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}
