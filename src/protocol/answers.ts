/**
 * What each request may be answered, read from its schema entry (`answers`, `errors`,
 * `beforeLogin`) and the error table: the lists docs/PROTOCOL.md and chat.proto print, the
 * requests the gRPC transport serves without a session, and the check ChatClient runs under tests.
 */
import type { RequestName, Response } from './codec.js';
import { ERRORS, errorName, errorsOf, type ErrorCodeName } from './errors.js';
import { schema, type MessageDef, type MessageName } from './schema.js';

const defs = schema as Record<MessageName, MessageDef>;

/** Every request of the schema, in table order. */
export const REQUEST_NAMES = (Object.keys(schema) as MessageName[]).filter((n) => defs[n].dir === 'request') as RequestName[];

/** Errors any request can be answered (the server failed, or is shutting down). */
export const ANY_REQUEST_ERRORS: readonly ErrorCodeName[] = errorsOf('any');
/** Errors any request frame can be answered when it is malformed (wrong size, bad field ...). */
export const FRAME_ERRORS: readonly ErrorCodeName[] = errorsOf('frame');

/** The requests allowed without a logged-in session (schema `beforeLogin`). */
export const BEFORE_LOGIN: ReadonlySet<RequestName> = new Set(REQUEST_NAMES.filter((n) => defs[n].beforeLogin === true));

/** The error codes a well-formed request can be answered: its own (schema `errors`), then those of any request. */
export function requestErrors(name: RequestName): ErrorCodeName[] {
  return [...(defs[name].errors ?? []), ...ANY_REQUEST_ERRORS];
}

/** Why `r` is not an answer the schema declares for a `request` (undefined when it is one). */
export function undeclaredAnswer(request: RequestName, r: Response): string | undefined {
  const def = defs[request];
  if (r.type !== 'Error') {
    return def.answers?.includes(r.type) ? undefined : `${request} was answered ${r.type}, which its schema entry does not list in \`answers\``;
  }
  const name = errorName(r.code) as ErrorCodeName;
  if (name in ERRORS && (requestErrors(request).includes(name) || FRAME_ERRORS.includes(name))) return undefined;
  return `${request} was answered Error ${name} ("${r.text}"), which its schema entry does not list in \`errors\``;
}
