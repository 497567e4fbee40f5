/**
 * Defaults of the gRPC transport that the CLI's option table shows (src/server/options.ts). Apart
 * from grpc.ts so that the table can read them without loading @grpc/grpc-js: a TCP-only server
 * never loads it.
 */

/** How long a session token works after its Login, whatever the activity (ms). */
export const DEFAULT_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
