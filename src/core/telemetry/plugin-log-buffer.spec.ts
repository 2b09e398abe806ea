import { PluginLogBuffer } from './plugin-log-buffer';

const line = (context: string, text: string) => `2026-01-01T00:00:00.000Z INFO  [${context}] ${text}`;

describe('PluginLogBuffer', () => {
  it("keeps only each plugin's last lines, and none of the host's", () => {
    const buffer = new PluginLogBuffer(3);
    for (let i = 1; i <= 5; i++) buffer.add(line('plugin:a', `a${i}`));
    buffer.add(line('plugin:b', 'b1'));
    buffer.add(line('appnest', 'host line'));
    expect(buffer.last('a')).toEqual([line('plugin:a', 'a3'), line('plugin:a', 'a4'), line('plugin:a', 'a5')]);
    expect(buffer.last('a', 1)).toEqual([line('plugin:a', 'a5')]);
    expect(buffer.last('a', 0)).toEqual([]);
    expect(buffer.last('b')).toEqual([line('plugin:b', 'b1')]);
    expect(buffer.last('appnest')).toEqual([]);
  });

  it('passes every line on, tells followers of their plugin only, and ends them on close', () => {
    const buffer = new PluginLogBuffer();
    const passed: string[] = [];
    const followed: string[] = [];
    let closed = 0;
    const sink = buffer.tee((l) => passed.push(l));
    const stop = buffer.follow(
      'a',
      (l) => followed.push(l),
      () => closed++,
    );
    sink(line('plugin:a', 'one'));
    sink(line('plugin:b', 'other'));
    buffer.close();
    stop();
    sink(line('plugin:a', 'two'));
    expect(passed).toHaveLength(3);
    expect(followed).toEqual([line('plugin:a', 'one')]);
    expect(closed).toBe(1);
  });

  it('forgets an uninstalled plugin', () => {
    const buffer = new PluginLogBuffer();
    buffer.add(line('plugin:a', 'one'));
    buffer.forget('a');
    expect(buffer.last('a')).toEqual([]);
  });
});
