import type { LoggerService } from '@nestjs/common';
import { PluginError } from '../errors/plugin-error';
import type { ActionEntry } from './discover-actions';
import { runAction } from './run-action';

const logger: LoggerService = { log: () => undefined, error: () => undefined, warn: () => undefined };
const context = { settings: { limit: 5 }, logger };

function entry(instance: object, methodName: string): ActionEntry {
  return { pluginId: 'notes', actionId: 'purge', instance, methodName };
}

async function failure(promise: Promise<unknown>): Promise<PluginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof PluginError) return err;
  throw new Error(`expected a PluginError, got ${String(err)}`);
}

describe('runAction', () => {
  it('calls the method on its instance with params and context and returns its result', async () => {
    const instance = {
      prefix: 'removed',
      purge(params: { days: number }, ctx: typeof context) {
        return `${this.prefix} ${params.days} ${ctx.settings.limit}`;
      },
    };
    await expect(runAction(entry(instance, 'purge'), { days: 30 }, context)).resolves.toBe('removed 30 5');
  });

  it('awaits an async action', async () => {
    const instance = { purge: async () => ({ removed: 3 }) };
    await expect(runAction(entry(instance, 'purge'), {}, context)).resolves.toEqual({ removed: 3 });
  });

  it('wraps a throw in PLG_ACTION_FAILED with the plugin id, its own message and the cause', async () => {
    const cause = new Error('table "notes" is locked');
    const error = await failure(
      runAction(
        entry(
          {
            purge: () => {
              throw cause;
            },
          },
          'purge',
        ),
        {},
        context,
      ),
    );
    expect(error.code).toBe('PLG_ACTION_FAILED');
    expect(error.status).toBe(500);
    expect(error.pluginId).toBe('notes');
    expect(error.message).toBe(`Plugin 'notes' action 'purge' failed: table "notes" is locked`);
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toMatchObject({ statusCode: 500, code: 'PLG_ACTION_FAILED', pluginId: 'notes', action: 'purge' });
  });

  it('wraps a rejected promise the same way', async () => {
    const error = await failure(runAction(entry({ purge: async () => Promise.reject(new Error('timeout')) }, 'purge'), {}, context));
    expect(error.message).toBe("Plugin 'notes' action 'purge' failed: timeout");
  });

  it('wraps a thrown value that is not an Error', async () => {
    const error = await failure(
      runAction(
        entry(
          {
            purge: () => {
              throw 'nope';
            },
          },
          'purge',
        ),
        {},
        context,
      ),
    );
    expect(error.message).toBe("Plugin 'notes' action 'purge' failed: nope");
    expect(error.cause).toBe('nope');
  });
});
