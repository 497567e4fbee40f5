// The tests that restart PostgreSQL or run the chaos run alone, after everything else (they cut every
// connection, and the chaos run takes minutes).
export default {
  files: ['test/restart/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  // One file at a time: each needs the machine's cores and the database to itself.
  concurrency: 1,
  timeout: '15m',
};
