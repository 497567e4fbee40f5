#!/usr/bin/env -S node --max-semi-space-size=1 --optimize-for-size
/**
 * `termchat`: the full-screen terminal client. The terminal is made ready before anything else is
 * loaded (raw mode, the alternate screen: see terminal.ts), so that keys typed while the client
 * starts are neither echoed nor lost. Memory: V8's default young generation grows to 32-48 MB for a
 * process that needs a few, so the #! line caps it and asks V8 to favour size over speed (a chat
 * client is idle most of the time); npm start passes the same flags. React's development build also
 * keeps more per render, so unless told otherwise the client runs the production build: NODE_ENV
 * must be set before React is first imported, hence this two-step start.
 */
import { enterFullScreen, wantsTerminal } from './terminal.js';

if (wantsTerminal(process.argv.slice(2))) enterFullScreen();
process.env['NODE_ENV'] ??= 'production';
await import('./cli.js');
