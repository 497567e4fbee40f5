// The PostgreSQL restart test runs alone, after everything else (a restart cuts every connection).
export default {
  files: ['test/restart/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '3m',
};
