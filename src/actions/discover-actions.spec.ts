import { Injectable, Module, Scope, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { registerOwnedClasses } from '../loader/class-owners';
import { PluginError } from '../errors/plugin-error';
import { Action, type ActionContext } from '../sdk/action.decorator';
import { discoverActions } from './discover-actions';
import { runAction } from './run-action';

@Injectable()
class NoteStore {
  readonly notes = ['a', 'b', 'c'];
}

@Injectable()
class NotesActions {
  constructor(private readonly store: NoteStore) {}

  @Action('purge')
  async purge(params: { keep: number }, context: ActionContext) {
    const removed = this.store.notes.length - params.keep;
    context.logger.log(`purging ${removed}`);
    return { removed, limit: context.settings.limit };
  }

  @Action('explode')
  explode() {
    throw new Error('disk full');
  }

  helper() {
    return 'not an action';
  }
}

@Module({ providers: [NoteStore, NotesActions] })
class NotesModule {}

@Injectable()
class OtherActions {
  @Action('purge')
  purge() {
    return 'other';
  }
}

@Module({ providers: [OtherActions] })
class OtherModule {}

@Module({ imports: [NotesModule, OtherModule] })
class RootModule {}

@Injectable()
class MorePurging {
  @Action('purge')
  purgeAgain() {
    return 'again';
  }
}

@Module({ providers: [NotesActions, NoteStore, MorePurging] })
class DuplicateModule {}

@Injectable({ scope: Scope.REQUEST })
class PerRequestActions {
  @Action('report')
  report() {
    return 'report';
  }
}

@Module({ providers: [PerRequestActions] })
class RequestScopedModule {}

async function start(root: Type<unknown>): Promise<INestApplication> {
  const app = await NestFactory.create(root, { logger: false });
  await app.init();
  return app;
}

const logger: LoggerService = { log: jest.fn(), error: jest.fn(), warn: jest.fn() };

describe('discoverActions', () => {
  let app: INestApplication;

  beforeAll(async () => {
    registerOwnedClasses('notes', [NotesModule]);
    app = await start(RootModule);
  });

  afterAll(async () => {
    await app.close();
  });

  it("finds the @Action methods of the given modules' providers, and only those", () => {
    const actions = discoverActions(app, new Set([NotesModule]));
    expect([...actions.keys()].sort()).toEqual(['explode', 'purge']);
    expect(actions.get('purge')).toMatchObject({ pluginId: 'notes', actionId: 'purge', methodName: 'purge' });
    expect(actions.get('purge')?.instance).toBeInstanceOf(NotesActions);
  });

  it('names the plugin given by the caller over the registered owner', () => {
    expect(discoverActions(app, [OtherModule], 'other').get('purge')).toMatchObject({ pluginId: 'other', methodName: 'purge' });
  });

  it('finds nothing for a module without actions', () => {
    expect(discoverActions(app, [RootModule]).size).toBe(0);
  });

  it('calls a discovered action with params and context, on the live instance', async () => {
    const entry = discoverActions(app, [NotesModule]).get('purge')!;
    await expect(runAction(entry, { keep: 1 }, { settings: { limit: 5 }, logger })).resolves.toEqual({ removed: 2, limit: 5 });
    expect(logger.log).toHaveBeenCalledWith('purging 2');
  });

  it('wraps the error of a discovered action in PLG_ACTION_FAILED naming the plugin', async () => {
    const entry = discoverActions(app, [NotesModule]).get('explode')!;
    const error = await runAction(entry, {}, { settings: {}, logger }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'PLG_ACTION_FAILED', pluginId: 'notes', message: "Plugin 'notes' action 'explode' failed: disk full" });
  });
});

describe('discoverActions on a plugin that repeats an action id', () => {
  it('refuses the second method with PLG_ACTION_DUPLICATE naming the plugin, the action and both methods', async () => {
    const app = await start(DuplicateModule);
    try {
      expect(() => discoverActions(app, [DuplicateModule], 'notes')).toThrow(
        expect.objectContaining({
          code: 'PLG_ACTION_DUPLICATE',
          status: 409,
          pluginId: 'notes',
          message: "Plugin 'notes' marks both NotesActions.purge() and MorePurging.purgeAgain() as action 'purge'.",
        }),
      );
    } finally {
      await app.close();
    }
  });
});

describe('discoverActions on request-scoped providers', () => {
  it('skips them, having no instance to call outside a request', async () => {
    const app = await start(RequestScopedModule);
    try {
      expect(discoverActions(app, [RequestScopedModule], 'reports').size).toBe(0);
    } finally {
      await app.close();
    }
  });
});

describe('@Action', () => {
  it('refuses an empty action id when the plugin code is imported', () => {
    expect(() => Action('')).toThrow(TypeError);
  });
});
