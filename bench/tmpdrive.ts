import { relayThroughput } from './lib/figures.js';
import { termchatWire } from './lib/termchatWire.js';
const pairs = Number(process.argv[2] ?? 1);
const r = await relayThroughput(termchatWire, 7979, pairs, pairs === 1 ? 1000 : 256, 512, { warmMs: 500, runMs: 3000 });
console.log(Math.round(r));
