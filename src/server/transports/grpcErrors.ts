/**
 * termchat error codes <-> gRPC status codes. The symbolic code travels in the trailing metadata
 * (`termchat-error-code`, plus the wire number in `termchat-error-number`), so a gRPC client can
 * tell NO_SUCH_USER from INVALID_PATTERN although both are not OK. Each code's status is written in
 * its entry of ERRORS (src/protocol/errors.ts).
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode, ERRORS, type ErrorCodeName } from '../../protocol/errors.js';
import { META } from '../../protocol/grpcProto.js';

const NAMES = new Map<number, ErrorCodeName>(Object.entries(ErrorCode).map(([k, v]) => [v, k as ErrorCodeName]));

/** The gRPC status for a termchat error code. */
export function grpcStatusOf(code: ErrorCodeName): status {
  return status[ERRORS[code].grpc];
}

/** A gRPC error for a termchat error (by name or wire number) and its sentence. */
export function toGrpcError(code: ErrorCodeName | number, text: string): Partial<ServiceError> {
  const name: ErrorCodeName = typeof code === 'number' ? (NAMES.get(code) ?? 'INTERNAL') : code;
  const metadata = new Metadata();
  metadata.set(META.errorCode, name);
  metadata.set(META.errorNumber, String(ErrorCode[name]));
  return { code: grpcStatusOf(name), details: text, metadata };
}

/** The termchat error code a gRPC error carries in its trailing metadata, if any. */
export function termchatCodeOf(err: { metadata?: Metadata }): string | undefined {
  const v = err.metadata?.get(META.errorCode)[0];
  return typeof v === 'string' ? v : undefined;
}
