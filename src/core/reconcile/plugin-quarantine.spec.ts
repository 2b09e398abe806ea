import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempFolder, removeFolder } from '../../archive/test-folders';
import { PluginQuarantine } from './plugin-quarantine';

describe('PluginQuarantine', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = makeTempFolder('quarantine')));
  afterEach(() => removeFolder(dataDir));

  const attemptOf = (pid: number, ids: string[]) => writeFileSync(join(dataDir, `start-attempt-${pid}.json`), JSON.stringify({ ids, at: '2026-01-01T00:00:00.000Z' }));

  it('quarantines the one plugin a dead process was starting, with the reason, until it is removed', () => {
    attemptOf(999999999, ['spins']);
    const quarantine = new PluginQuarantine(dataDir, 1);

    expect(quarantine.takeOverInterrupted()).toEqual(['spins']);

    const error = new PluginQuarantine(dataDir).errorOf('spins');
    expect(error).toMatchObject({ code: 'PLG_QUARANTINED', pluginId: 'spins' });
    expect(error?.message).toContain("plugin 'spins' was loading or starting");
    expect(readdirSync(dataDir).filter((name) => name.startsWith('start-attempt'))).toEqual([]);
    quarantine.remove('spins');
    expect(new PluginQuarantine(dataDir).errorOf('spins')).toBeUndefined();
  });

  it('quarantines a plugin after N failed starts in a row, counting a dead process as one, and forgets the count after a success', () => {
    const after3 = () => new PluginQuarantine(dataDir, 3);
    expect(after3().startFailed('boom', 'PLG_START_FAILED: it threw')).toBe(false);
    attemptOf(999999999, ['boom']);
    expect(after3().takeOverInterrupted()).toEqual(['boom']);
    expect(after3().entries()).toEqual({});
    expect(after3().failures().boom).toMatchObject({ count: 2 });

    expect(after3().startFailed('boom', 'PLG_START_FAILED: it threw again')).toBe(true);

    const error = after3().errorOf('boom');
    expect(error).toMatchObject({ code: 'PLG_QUARANTINED', pluginId: 'boom' });
    expect(error?.message).toBe("Plugin 'boom' failed to start 3 times in a row (last: PLG_START_FAILED: it threw again); it is left disabled so the host can start.");

    const other = after3();
    other.startFailed('flaky', 'once');
    other.startFailed('flaky', 'twice');
    other.startSucceeded('flaky');
    expect(other.startFailed('flaky', 'after a success')).toBe(false);
    expect(after3().failures().flaky).toMatchObject({ count: 1 });

    after3().remove('boom');
    expect(after3().failures().boom).toBeUndefined();
    expect(after3().errorOf('boom')).toBeUndefined();
  });

  it('makes the plugins of an interrupted shared start suspects, started alone, rather than quarantining them all', () => {
    attemptOf(999999999, ['a', 'b', 'c']);
    const quarantine = new PluginQuarantine(dataDir);

    expect(quarantine.takeOverInterrupted()).toEqual([]);

    expect(['a', 'b', 'c', 'd'].map((id) => quarantine.startsAlone(id))).toEqual([true, true, true, false]);
    expect(quarantine.entries()).toEqual({});
  });

  it('starts a plugin alone from its first failed start until a successful one, so that a crash in a later start names it', () => {
    const quarantine = new PluginQuarantine(dataDir);
    quarantine.startFailed('a', 'the host stopped while it was starting');
    expect(new PluginQuarantine(dataDir).startsAlone('a')).toBe(true);

    quarantine.startSucceeded('a');
    expect(new PluginQuarantine(dataDir).startsAlone('a')).toBe(false);
  });

  it("leaves a live process's attempt alone and clears its own when the start ends", async () => {
    attemptOf(process.ppid, ['other']);
    const quarantine = new PluginQuarantine(dataDir);
    expect(quarantine.takeOverInterrupted()).toEqual([]);

    await quarantine.attempt(['mine'], async () => {
      expect(readdirSync(dataDir).sort()).toEqual([`start-attempt-${process.pid}.json`, `start-attempt-${process.ppid}.json`].sort());
    });

    expect(readdirSync(dataDir)).toEqual([`start-attempt-${process.ppid}.json`]);
  });
});
