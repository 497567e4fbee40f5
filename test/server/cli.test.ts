/** `termchat-server` as a user runs it: --help, --version and a bad command line, over the real CLI. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { renderHelp } from '../../src/server/options.js';
import { ROOT } from './helpers.js';

/** Runs src/server/main.ts (through tsx) with `args`; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/server/main.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('--help prints the option table and exits 0', async (t) => {
  const r = await cli(['--help']);
  t.is(r.code, 0);
  t.is(r.stdout, renderHelp());
  t.regex(r.stdout, /--max-inflight N +requests one connection may have unanswered/);
});

test('--version prints the package version', async (t) => {
  const r = await cli(['-v']);
  t.is(r.code, 0);
  t.is(r.stdout.trim(), (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version);
});

test('an unknown flag or a value out of range: the reason, then the usage, and exit code 2', async (t) => {
  const bogus = await cli(['--bogus']);
  t.is(bogus.code, 2);
  t.regex(bogus.stderr, /^termchat-server: Unknown option '--bogus'/);
  t.true(bogus.stderr.endsWith(renderHelp()));
  const port = await cli(['--port', '70000']);
  t.is(port.code, 2);
  t.regex(port.stderr, /^termchat-server: --port must be an integer from 0 to 65535, got "70000"\n/);
});
