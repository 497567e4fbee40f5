import test from 'ava';
import { serverExecArgv } from '../../src/tui/localServer.js';

test("an auto-started server gets the loader flags but not the client's memory caps", (t) => {
  t.deepEqual(serverExecArgv(['--max-semi-space-size=1', '--optimize-for-size', '--import', 'tsx']), ['--import', 'tsx']);
});
