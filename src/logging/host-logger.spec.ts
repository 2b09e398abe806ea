import { HostLogger } from './host-logger';

describe('HostLogger.forNest', () => {
  const logged = (level: 'info' | 'debug', pluginId: string | undefined, write: (nest: ReturnType<HostLogger['forNest']>) => void) => {
    const lines: string[] = [];
    write(new HostLogger(level, 'nest', (line) => lines.push(line.replace(/^\S+ /, ''))).forNest(() => pluginId));
    return lines;
  };

  it("shows a plugin's log() at info under plugin:<id>, its class name kept in the line", () => {
    expect(logged('info', 'demo', (nest) => nest.log('pruned 3 items', 'DemoTasks'))).toEqual(['INFO  [plugin:demo] DemoTasks: pruned 3 items']);
    expect(logged('info', 'demo', (nest) => nest.log('pruned 3 items', 'plugin:demo'))).toEqual(['INFO  [plugin:demo] pruned 3 items']);
  });

  it("keeps a plugin's debug() and verbose() at debug", () => {
    expect(logged('info', 'demo', (nest) => (nest.debug!('detail', 'DemoTasks'), nest.verbose!('detail', 'DemoTasks')))).toEqual([]);
    expect(logged('debug', 'demo', (nest) => nest.debug!('detail', 'DemoTasks'))).toEqual(['DEBUG [plugin:demo] DemoTasks: detail']);
  });

  it("tags Nest's ExceptionsHandler error for a plugin's route, the stack argument aside", () => {
    expect(logged('info', 'demo', (nest) => nest.error(new Error('boom'), 'Error: boom\n    at x', 'ExceptionsHandler'))).toEqual(['ERROR [plugin:demo] ExceptionsHandler: boom']);
  });

  it('asks whose line it is with the error the line reports, when it has one', () => {
    const causes: (Error | undefined)[] = [];
    const nest = new HostLogger('info', 'nest', () => {}).forNest((cause) => (causes.push(cause), undefined));
    const boom = new Error('boom');
    nest.error(boom, 'ExceptionsHandler');
    nest.error('failed', boom, 'DemoService');
    nest.log('no error here', 'DemoService');
    expect(causes).toEqual([boom, boom, undefined]);
  });

  it("keeps Nest's start-up chatter and log() outside any plugin at debug", () => {
    expect(logged('info', 'demo', (nest) => nest.log('DemoModule dependencies initialized', 'InstanceLoader'))).toEqual([]);
    expect(logged('info', undefined, (nest) => nest.log('something of the host', 'AdminPluginsController'))).toEqual([]);
    expect(logged('debug', undefined, (nest) => nest.log('something of the host', 'AdminPluginsController'))).toEqual(['DEBUG [AdminPluginsController] something of the host']);
  });
});
