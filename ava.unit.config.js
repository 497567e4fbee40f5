// `npm run test:unit`: the unit tests only, *.unit.test.ts / *.unit.test.tsx anywhere under test/.
// They open no socket and start no process (test/unitGuard.unit.test.ts checks their imports).
// `npm test` runs them with everything else. (Worker threads would not load TypeScript through tsx.)
export default {
  files: ['test/**/*.unit.test.ts', 'test/**/*.unit.test.tsx'],
  extensions: { ts: 'module', tsx: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  timeout: '1m',
};
