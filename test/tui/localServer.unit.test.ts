import test from 'ava';
import { serverExecArgv } from '../../src/tui/localServer.js';

test("an auto-started server gets the loader flags but not the client's memory flags", (t) => {
  t.deepEqual(serverExecArgv(['--max-semi-space-size=1', '--optimize-for-size', '--v8-pool-size=1', '--no-opt', '--import', 'tsx']), ['--import', 'tsx']);
  t.deepEqual(serverExecArgv(['--no-sparkplug', '--import=tsx', '--liftoff-only']), ['--import=tsx']);
});
