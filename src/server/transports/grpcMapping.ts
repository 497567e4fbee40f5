/**
 * chat.proto messages <-> the schema's typed messages, for the gRPC transport. Field names follow
 * proto-loader's camelCase (client_id -> clientId).
 */
import type { Metadata } from '@grpc/grpc-js';
import type { Push, Request, Response } from '../../protocol/codec.js';
import { toGrpcError } from './grpcErrors.js';
import { META } from './grpcProto.js';

/** chat.proto's Push, as proto-loader serializes it. */
export type PushOut =
  | { message: { id: number; sender: string; clientId: number; flags: number; sentAt: number; content: string } }
  | { loggedInElsewhere: Record<string, never> }
  | { serverClosing: Record<string, never> };

export function toPushOut(p: Push): PushOut {
  switch (p.type) {
    case 'Message':
      return { message: { id: p.id, sender: p.sender, clientId: p.clientId, flags: p.flags, sentAt: p.sentAt, content: p.content } };
    case 'LoggedInElsewhere':
      return { loggedInElsewhere: {} };
    case 'ServerClosing':
      return { serverClosing: {} };
  }
}

/** The session token a call carries, if any. */
export function tokenOf(md: Metadata): string | undefined {
  const auth = md.get(META.authorization)[0];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const t = md.get(META.session)[0];
  return typeof t === 'string' ? t : undefined;
}

/** The proto request of each unary call -> the schema's Request. */
export const TO_REQUEST: Record<string, (b: Record<string, unknown>) => Request> = {
  Register: (b) => ({ type: 'Register', username: str(b.username), password: str(b.password) }),
  Login: (b) => ({ type: 'Login', username: str(b.username), password: str(b.password) }),
  Logout: () => ({ type: 'Logout' }),
  ListAccounts: (b) => ({ type: 'ListAccounts', pattern: str(b.pattern), offset: num(b.offset), limit: num(b.limit) }),
  Send: (b) => ({ type: 'Send', recipient: str(b.recipient), clientId: num(b.clientId), flags: num(b.flags), content: str(b.content) }),
  FetchUndelivered: (b) => ({ type: 'FetchUndelivered', max: num(b.max) }),
  Ack: (b) => ({ type: 'Ack', upTo: num(b.upTo) }),
  DeleteAccount: (b) => ({ type: 'DeleteAccount', password: str(b.password), confirm: b.confirm === true ? 1 : 0 }),
  Ping: () => ({ type: 'Ping' }),
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** Calls that need no session. */
export const ANONYMOUS = new Set(['Register', 'Ping']);

/** The schema's Response -> the proto reply of the call (or a gRPC error). */
export function toReply(call: string, r: Response, token: string): { reply: object } | { error: ReturnType<typeof toGrpcError> } {
  switch (r.type) {
    case 'Error':
      return { error: toGrpcError(r.code, r.text) };
    case 'Ok':
      return { reply: call === 'DeleteAccount' ? { deleted: true, waiting: 0 } : {} };
    case 'Pong':
      return { reply: {} };
    case 'LoginOk':
      return { reply: { token, undelivered: r.undelivered } };
    case 'AccountList':
      return { reply: { total: r.total, names: r.names } };
    case 'Accepted':
      return { reply: { messageId: r.messageId } };
    case 'MessageBatch':
      return { reply: { remaining: r.remaining, messages: r.messages } };
    case 'ConfirmDelete':
      return { reply: { deleted: false, waiting: r.waiting } };
  }
}
