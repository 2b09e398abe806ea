import { JOB_HANDLER_METADATA, type JobHandlerDeclaration } from './job-handler.decorator';

export interface DeclaredHandler extends JobHandlerDeclaration {
  instance: object;
  method: Function;
  owner: string;
}

/** The `@JobHandler` methods among a plugin's provider and controller instances. */
export function declaredHandlers(instances: object[]): DeclaredHandler[] {
  const found: DeclaredHandler[] = [];
  for (const instance of instances) {
    const proto = Object.getPrototypeOf(instance) as object;
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (key === 'constructor' || typeof d.value !== 'function') continue;
      const declaration = Reflect.getMetadata(JOB_HANDLER_METADATA, d.value as Function) as JobHandlerDeclaration | undefined;
      if (declaration) found.push({ ...declaration, instance, method: d.value as Function, owner: `${instance.constructor.name}.${key}` });
    }
  }
  return found;
}
