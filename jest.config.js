// Jest runs the TypeScript sources directly through SWC (transpile only);
// `npm test` type-checks the whole project with tsc before Jest starts.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/schemas', '<rootDir>/publisher-sdk', '<rootDir>/gateway', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/pending/ holds tests of known bugs whose fix belongs to another change: type-checked, not run.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/pending/'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // jose is ESM-only; Jest's module loader needs it transformed to CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  moduleNameMapper: {
    '^@sse-gateway/schemas$': '<rootDir>/schemas/src/index.ts',
    '^@sse-gateway/publisher$': '<rootDir>/publisher-sdk/src/index.ts',
    '^@sse-gateway/publisher/protocol$': '<rootDir>/publisher-sdk/src/protocol/index.ts',
    '^@sse-gateway/client$': '<rootDir>/client/src/index.ts',
    // The client is ESM: its sources import './x.js' for './x.ts', as Node's ESM resolution wants.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
