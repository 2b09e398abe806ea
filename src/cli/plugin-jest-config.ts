import { join } from 'node:path';

/** The swc settings Nest 12 needs under Jest: decorator metadata on, CommonJS out (the repository's .swcrc.jest.json). */
const JEST_SWC_OPTIONS = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
  swcrc: false,
} as const;

/** Jest's spec files in a plugin, as the testMatch below: unit specs beside the code, e2e specs in test/ (Nest's names). */
export const JEST_SPEC_FILE = /\.(spec|e2e-spec)\.ts$/;

/**
 * The Jest configuration `appnest test` gives a plugin without a jest.config of its own, and the
 * one `appnest new` writes out: TypeScript through @swc/jest with decorator metadata, and jest,
 * @nestjs/testing, supertest, the Nest packages and the appnest SDK from the host's installation,
 * so a plugin needs no npm install of its own, inside the repository or anywhere else.
 */
export function pluginJestConfig(pluginDir: string, hostRoot: string): Record<string, unknown> {
  const swc = [require.resolve('@swc/jest', { paths: [hostRoot] }), JEST_SWC_OPTIONS];
  return {
    rootDir: pluginDir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.e2e-spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/frontend/', '<rootDir>/web/'],
    transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
    transformIgnorePatterns: ['/node_modules/@electric-sql/'],
    moduleFileExtensions: ['js', 'ts', 'mjs', 'cjs', 'json'],
    modulePaths: [join(hostRoot, 'node_modules')],
    moduleNameMapper: {
      '^appnest$': join(hostRoot, 'src', 'sdk', 'index.ts'),
      '^appnest/testing$': join(hostRoot, 'src', 'testing', 'testing.ts'),
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 60000,
  };
}
