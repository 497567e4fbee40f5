/**
 * The gRPC side of the protocol, shared by the server's transport and the client: loads
 * src/protocol/chat.proto at run time (no codegen), and names the metadata keys and stream-end
 * reasons. `tsc` does not copy .proto files into dist/, so the file is looked up next to the compiled
 * module first (in case a build step copies it) and then in src/protocol/ relative to dist/; one file
 * on disk stays the only description.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const CANDIDATES = [
  // src/protocol/grpcProto.ts (tsx) or dist/protocol/grpcProto.js with a copied proto
  './chat.proto',
  // dist/protocol/grpcProto.js -> <package>/src/protocol/chat.proto
  '../../src/protocol/chat.proto',
];

/** Absolute path of chat.proto. */
export function protoPath(): string {
  for (const rel of CANDIDATES) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`chat.proto not found (looked in ${CANDIDATES.join(', ')} from ${fileURLToPath(import.meta.url)})`);
}

/** Name of the service in chat.proto. */
export const SERVICE_NAME = 'termchat.v1.Chat';

let cached: ServiceDefinition | undefined;

/** The Chat service definition, loaded once. Fields are camelCase in JS (client_id -> clientId). */
export function chatServiceDefinition(): ServiceDefinition {
  if (cached) return cached;
  const pkg = protoLoader.loadSync(protoPath(), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
  const def = pkg[SERVICE_NAME];
  if (!def || !('Subscribe' in def)) throw new Error(`${SERVICE_NAME} missing from chat.proto`);
  cached = def as unknown as ServiceDefinition;
  return cached;
}

const META_AUTH = 'authorization';

/** Metadata keys of the gRPC transport. */
export const META = {
  authorization: META_AUTH,
  session: 'termchat-session',
  errorCode: 'termchat-error-code',
  errorNumber: 'termchat-error-number',
  /** Trailing metadata of a Subscribe stream that ended with OK: why it ended (a STREAM_END value). */
  streamEnd: 'termchat-stream-end',
} as const;

/** Why a Subscribe stream ended (the `termchat-stream-end` trailer), with the sentence chat.proto gives. */
export const STREAM_END = {
  loggedInElsewhere: {
    value: 'logged-in-elsewhere',
    doc: 'another Login took the account over (after a LoggedInElsewhere push); the token is dead',
  },
  replaced: { value: 'replaced', doc: 'a newer Subscribe of the same session took the pushes over; the token still works' },
  logout: { value: 'logout', doc: 'Logout ended the session; the token is dead' },
  accountDeleted: { value: 'account-deleted', doc: 'DeleteAccount deleted the account; the token is dead' },
  serverClosing: { value: 'server-closing', doc: 'the server is shutting down (after a ServerClosing push)' },
  expired: { value: 'expired', doc: 'the session token reached its lifetime (default 1 h); the token is dead: log in again' },
} as const;
export type StreamEnd = keyof typeof STREAM_END;

/** Fields the gRPC mapping adds to a schema message (after the schema's own), by proto message name. */
export const GRPC_EXTRAS: Readonly<Record<string, readonly { name: string; type: string; doc: string }[]>> = {
  LoginOk: [{ name: 'token', type: 'string', doc: `the session token; carry it as \`${META_AUTH}: Bearer <token>\` on later calls.` }],
};
