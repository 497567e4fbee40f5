/** Moved to src/protocol/grpcProto.ts (the client shares it); kept so the transport's imports stay as they are. */
export * from '../../protocol/grpcProto.js';
