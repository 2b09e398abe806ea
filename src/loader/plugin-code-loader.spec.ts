import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpException } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { resolvePackage } from './package-resolver';
import { PluginCodeLoader } from './plugin-code-loader';
import { PluginCompiler } from './plugin-compiler';

const AUTH_JWT = join(__dirname, '../../test/fixtures/auth-jwt');

describe('PluginCodeLoader and npm dependencies', () => {
  let work: string;
  let loader: PluginCodeLoader;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'appnest-loader-'));
    loader = new PluginCodeLoader('auth-jwt', AUTH_JWT, new PluginCompiler(work));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("resolves a shared package to the host's file from inside a plugin's dependency, though the plugin ships its own copy", () => {
    expect(existsSync(join(AUTH_JWT, 'node_modules/@nestjs/common/package.json'))).toBe(true);
    const passport = resolvePackage('@nestjs/passport', join(AUTH_JWT, 'app.module.ts'))!;
    expect(passport.startsWith(join(AUTH_JWT, 'node_modules'))).toBe(true);
    const fromDependency = loader.requireFor(passport);
    expect(fromDependency.resolve('@nestjs/common')).toBe(require.resolve('@nestjs/common'));
    expect(fromDependency('@nestjs/common')).toBe(require('@nestjs/common'));
    expect(fromDependency.resolve('passport')).toBe(join(AUTH_JWT, 'node_modules/passport/lib/index.js'));
  });

  it("makes a dependency's HTTP exception the host's: a passport guard's refusal is an HttpException with status 401", async () => {
    const { JwtStrategy } = loader.load(join(AUTH_JWT, 'auth/jwt.strategy.ts')) as { JwtStrategy: new (config: unknown) => unknown };
    new JwtStrategy({ getOrThrow: () => 'a-secret' });
    const { JwtAuthGuard } = loader.load(join(AUTH_JWT, 'auth/jwt-auth.guard.ts')) as { JwtAuthGuard: new () => { canActivate(ctx: unknown): Promise<boolean> } };
    const request = { headers: {} };
    const context = new ExecutionContextHost([request, { setHeader: () => undefined }, () => undefined]);
    const refusal = await new JwtAuthGuard().canActivate(context).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(HttpException);
    expect((refusal as HttpException).getStatus()).toBe(401);
  });

  it('names the plugin, the importing file and the package when a package is missing', () => {
    const fromProfile = loader.requireFor(join(AUTH_JWT, 'profile.controller.ts'));
    expect(() => fromProfile('left-pad')).toThrow(expect.objectContaining({ code: 'PLG_PACKAGE_MISSING', message: expect.stringMatching(/'auth-jwt'.*'left-pad'.*profile\.controller\.ts/) }));
  });
});
