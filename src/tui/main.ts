#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size --v8-pool-size=1 --no-opt --no-sparkplug --liftoff-only --wasm-lazy-compilation
/**
 * `termchat`: the full-screen terminal client. The terminal is made ready before anything else is
 * loaded (raw mode, the alternate screen: see terminal.ts), so that keys typed while the client
 * starts are neither echoed nor lost.
 *
 * Memory (npm start passes the same flags as the #! line; `npm run bench:tui` measures them): a chat
 * client is idle most of the time, so V8 is asked to favour size over speed. V8's default young
 * generation grows to 32-48 MB for a process that needs a few (--max-semi-space-size=1,
 * --optimize-for-size); each V8 worker thread costs some MB (--v8-pool-size=1); the optimizing
 * compilers' code, and the pages of node's binary that hold them, are not needed to draw a chat
 * (--no-opt --no-sparkplug: the interpreter is fast enough for it); the layout engine (yoga, in
 * WebAssembly) is compiled by the baseline compiler only, function by function as it is used
 * (--liftoff-only --wasm-lazy-compilation). React's development build also keeps more per render,
 * so unless told otherwise the client runs the production build: NODE_ENV must be set before React
 * is first imported, hence this two-step start.
 */
import { enterFullScreen, wantsTerminal } from './terminal.js';

if (wantsTerminal(process.argv.slice(2))) enterFullScreen();
process.env['NODE_ENV'] ??= 'production';
await import('./cli.js');
