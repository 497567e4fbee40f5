/**
 * termchat error codes <-> gRPC status codes. The symbolic code travels in the trailing metadata
 * (`termchat-error-code`, plus the wire number in `termchat-error-number`), so a gRPC client can
 * tell NO_SUCH_USER from INVALID_PATTERN although both are not OK.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode, type ErrorCodeName } from '../../protocol/errors.js';
import { META } from './grpcProto.js';

const STATUS: Record<ErrorCodeName, status> = {
  UNKNOWN_OPCODE: status.UNIMPLEMENTED,
  BAD_SIZE: status.INVALID_ARGUMENT,
  BAD_FIELD: status.INVALID_ARGUMENT,
  FRAME_TOO_LARGE: status.RESOURCE_EXHAUSTED,
  TRUNCATED: status.INVALID_ARGUMENT,
  UNEXPECTED_MESSAGE: status.UNIMPLEMENTED,
  NOT_LOGGED_IN: status.UNAUTHENTICATED,
  ALREADY_LOGGED_IN: status.FAILED_PRECONDITION,
  // Not UNAUTHENTICATED: that means "no valid session token" (log in again), while these credentials
  // were checked and refused (a DeleteAccount with a wrong password must not look like an ended session).
  BAD_CREDENTIALS: status.PERMISSION_DENIED,
  USERNAME_TAKEN: status.ALREADY_EXISTS,
  INVALID_USERNAME: status.INVALID_ARGUMENT,
  INVALID_PASSWORD: status.INVALID_ARGUMENT,
  NO_SUCH_USER: status.NOT_FOUND,
  INVALID_PATTERN: status.INVALID_ARGUMENT,
  CONFIRM_REQUIRED: status.FAILED_PRECONDITION,
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  CLIENT_ID_REUSED: status.ALREADY_EXISTS,
  BUSY: status.RESOURCE_EXHAUSTED,
  INTERNAL: status.INTERNAL,
  SHUTTING_DOWN: status.UNAVAILABLE,
  TOO_MANY_CONNECTIONS: status.RESOURCE_EXHAUSTED,
  IDLE_TIMEOUT: status.DEADLINE_EXCEEDED,
  MAILBOX_FULL: status.RESOURCE_EXHAUSTED,
  // Retryable: nothing was stored, and the same request may succeed once space is freed.
  DISK_FULL: status.UNAVAILABLE,
  RATE_LIMITED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
};

/** The name of the gRPC status for each termchat error code (for docs/PROTOCOL.md and chat.proto). */
export const GRPC_STATUS_NAME = Object.fromEntries(
  (Object.keys(STATUS) as ErrorCodeName[]).map((k) => [k, status[STATUS[k]]]),
) as Record<ErrorCodeName, string>;

const NAMES = new Map<number, ErrorCodeName>(Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]));

/** The gRPC status for a termchat error code. */
export function grpcStatusOf(code: ErrorCodeName): status {
  return STATUS[code];
}

/** A gRPC error for a termchat error (by name or wire number) and its sentence. */
export function toGrpcError(code: ErrorCodeName | number, text: string): Partial<ServiceError> {
  const name: ErrorCodeName = typeof code === 'number' ? (NAMES.get(code) ?? 'INTERNAL') : code;
  const metadata = new Metadata();
  metadata.set(META.errorCode, name);
  metadata.set(META.errorNumber, String(ErrorCode[name]));
  return { code: STATUS[name], details: text, metadata };
}

/** The termchat error code a gRPC error carries in its trailing metadata, if any. */
export function termchatCodeOf(err: { metadata?: Metadata }): string | undefined {
  const v = err.metadata?.get(META.errorCode)[0];
  return typeof v === 'string' ? v : undefined;
}
