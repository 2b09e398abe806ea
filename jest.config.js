// Nest 12 is ESM-only: swc turns every file, node_modules included, into CommonJS for Jest.
const swc = ['@swc/jest', { ...require('./.swcrc.jest.json'), swcrc: false }];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  // PGlite ships CommonJS already, and its wasm loader must not be rewritten.
  transformIgnorePatterns: ['/node_modules/@electric-sql/'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/data/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/', '<rootDir>/test/fixtures/', '<rootDir>/plugins/'],
};

// The example plugins' own specs, resolved as `appnest test` resolves them: the SDK from src/sdk,
// and './x.js' imports (plugin code is written for Node's ESM resolution) to the x.ts beside them.
const examplePlugins = {
  ...common,
  displayName: 'plugins',
  testMatch: ['<rootDir>/plugins/*/**/*.spec.ts', '<rootDir>/plugins/*/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/plugins/[^/]+/(frontend|web)/'],
  moduleFileExtensions: ['js', 'ts', 'mjs', 'cjs', 'json'],
  moduleNameMapper: {
    '^appnest$': '<rootDir>/src/sdk/index.ts',
    '^appnest/testing$': '<rootDir>/src/testing/testing.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

// Integration tests run twice: on the embedded database (PGlite) and on the real PostgreSQL. Those
// whose subject the database does not touch (the web app in Chromium, how the CLI finds its host,
// plugins' own npm packages, the docs' curl samples, the front-end files) run on the embedded one alone.
const ONE_DATABASE = [
  '<rootDir>/test/browser/',
  '<rootDir>/test/cli-docs.e2e.ts',
  '<rootDir>/test/cli-plugin-folder.e2e.ts',
  '<rootDir>/test/npm-dependencies.e2e.ts',
  '<rootDir>/test/frontend-spa.e2e.ts',
  '<rootDir>/test/frontend-assets.e2e.ts',
];
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    examplePlugins,
    { ...common, displayName: 'embedded', testMatch: ['<rootDir>/test/**/*.e2e.ts'], setupFiles: ['<rootDir>/test/support/db-embedded.js'] },
    {
      ...common,
      displayName: 'postgres',
      testMatch: ['<rootDir>/test/**/*.e2e.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, ...ONE_DATABASE],
      setupFiles: ['<rootDir>/test/support/db-postgres.js'],
    },
  ],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 60000,
};
