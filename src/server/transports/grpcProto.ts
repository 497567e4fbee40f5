/**
 * Loads src/protocol/chat.proto at run time (no codegen). `tsc` does not copy .proto files into
 * dist/, so the file is looked up next to the compiled module first (in case a build step copies it)
 * and then in src/protocol/ relative to dist/; one file on disk stays the only description.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const CANDIDATES = [
  // src/server/transports/grpcProto.ts (tsx) or dist/server/transports/grpcProto.js with a copied proto
  '../../protocol/chat.proto',
  // dist/server/transports/grpcProto.js -> <package>/src/protocol/chat.proto
  '../../../src/protocol/chat.proto',
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

/** Metadata keys of the gRPC transport. */
export const META = {
  authorization: 'authorization',
  session: 'termchat-session',
  errorCode: 'termchat-error-code',
  errorNumber: 'termchat-error-number',
} as const;
