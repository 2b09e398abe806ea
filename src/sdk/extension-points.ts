import { SetMetadata } from '@nestjs/common';

export const EXTENSION_METADATA = 'appnest:extension';

/** What an extension point asks of its implementations. */
export interface ExtensionPointSpec {
  /** Members (methods or properties) every implementation must have. */
  required: string[];
  description?: string;
}

/** A live implementation of an extension point, with the plugin that contributed it. */
export interface Contribution<T = unknown> {
  pluginId: string;
  implementation: T;
}

/**
 * Extension points, bound to the plugin that injects it. A host or plugin declares a point with
 * its required members; other plugins contribute implementations (or mark a provider class with
 * `@Extension('point')`); consumers list the live ones. A plugin's points and contributions leave
 * with it when it stops.
 */
export interface ExtensionPoints {
  declare(point: string, spec: ExtensionPointSpec): void;
  contribute<T extends object>(point: string, implementation: T): void;
  list<T = unknown>(point: string): T[];
  contributions<T = unknown>(point: string): Contribution<T>[];
}

/** Injection token of the plugin's ExtensionPoints. */
export const EXTENSION_POINTS = Symbol.for('appnest:extension-points');

/** Contributes every instance of the decorated provider class to the extension point `point`. */
export function Extension(point: string): ClassDecorator {
  return SetMetadata(EXTENSION_METADATA, point);
}
