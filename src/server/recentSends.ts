/**
 * The Sends delivered and acknowledged before they were written, remembered for a RESEND of one
 * (the store has no record of them). Kept in typed arrays as a ring: remembering one costs four
 * stores and no allocation (it happens for most messages of a busy stream), while the lookup, needed
 * only for a resend, scans from the newest back.
 */
export class RecentSends {
  private readonly sender: Uint32Array;
  private readonly clientId: Uint32Array;
  private readonly id: Uint32Array;
  private readonly recipient: Uint32Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.sender = new Uint32Array(capacity);
    this.clientId = new Uint32Array(capacity);
    this.id = new Uint32Array(capacity);
    this.recipient = new Uint32Array(capacity);
  }

  /** Remembers that (sender, clientId) was message `id` to `recipient`; the oldest entry goes once full. */
  add(sender: number, clientId: number, id: number, recipient: number): void {
    const i = this.head;
    this.sender[i] = sender;
    this.clientId[i] = clientId;
    this.id[i] = id;
    this.recipient[i] = recipient;
    this.head = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
  }

  /** The newest message (sender, clientId) was, with its recipient; undefined if not remembered. */
  find(sender: number, clientId: number): { id: number; recipientId: number } | undefined {
    for (let n = 0, i = this.head; n < this.size; n++) {
      i = i === 0 ? this.capacity - 1 : i - 1;
      if (this.clientId[i] === clientId && this.sender[i] === sender) return { id: this.id[i]!, recipientId: this.recipient[i]! };
    }
    return undefined;
  }
}
