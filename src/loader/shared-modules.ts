/**
 * Packages a plugin always gets the host's copy of, whatever it ships: one copy of every
 * decorator, injection token and base class across the host and all plugins.
 */
export const SHARED_PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/typeorm',
  '@nestjs/schedule',
  '@nestjs/event-emitter',
  'typeorm',
  'class-validator',
  'class-transformer',
  'reflect-metadata',
  'rxjs',
] as const;

/** The plugin SDK's import name. */
export const SDK_PACKAGE = 'appnest';

export function sharedPackageOf(request: string): string | undefined {
  if (request === SDK_PACKAGE || request.startsWith(`${SDK_PACKAGE}/`)) return SDK_PACKAGE;
  return SHARED_PACKAGES.find((name) => request === name || request.startsWith(`${name}/`));
}
