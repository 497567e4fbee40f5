/** Stable error codes. The numbers are on the wire (Error.code); never renumber, only add. */
export const ErrorCode = {
  // Protocol: the frame itself is wrong.
  UNKNOWN_OPCODE: 1,
  BAD_SIZE: 2,
  BAD_FIELD: 3,
  FRAME_TOO_LARGE: 4,
  TRUNCATED: 5,
  UNEXPECTED_MESSAGE: 6,
  // Session and account rules.
  NOT_LOGGED_IN: 10,
  ALREADY_LOGGED_IN: 11,
  BAD_CREDENTIALS: 12,
  USERNAME_TAKEN: 13,
  INVALID_USERNAME: 14,
  INVALID_PASSWORD: 15,
  NO_SUCH_USER: 16,
  INVALID_PATTERN: 17,
  CONFIRM_REQUIRED: 18,
  INVALID_ARGUMENT: 19,
  CLIENT_ID_REUSED: 20,
  // Server side.
  BUSY: 30,
  INTERNAL: 31,
  SHUTTING_DOWN: 32,
  /** Too many connections (from this address, or in all): the server closes this one. */
  TOO_MANY_CONNECTIONS: 33,
  /** No successful Register or Login within the server's time limit, or a silent peer: closed. */
  IDLE_TIMEOUT: 34,
  /** The recipient's queue is at its cap (messages or bytes): retry once they have read some. */
  MAILBOX_FULL: 35,
  /** The server's disk is full: nothing was stored; retry later. */
  DISK_FULL: 36,
  /** Too many requests of this kind from this address (registrations): retry later. */
  RATE_LIMITED: 37,
  /**
   * The server cannot reach its database (scale-out): retry shortly, on this server or another. A
   * Send may have been stored all the same: resend it with RESEND and the same clientId.
   */
  UNAVAILABLE: 38,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const names = new Map<number, ErrorCodeName>(
  Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]),
);

/** The symbolic name of a wire error code ("UNKNOWN_1234" for codes this build does not know). */
export function errorName(code: number): string {
  return names.get(code) ?? `UNKNOWN_${code}`;
}

/** A frame or field that breaks the protocol: a stable code, the field it is about, and a sentence. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCodeName,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** An error the server answered with (an Error frame), as seen by a client. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  readonly code: string;
  constructor(
    readonly wireCode: number,
    text: string,
  ) {
    super(text);
    this.code = errorName(wireCode);
  }
}
