import { Writable } from 'node:stream';
import { formatBytes, Progress } from './progress';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('Progress', () => {
  it('writes one plain line per step when the output is not a terminal', () => {
    const out = sink();
    const progress = new Progress('Uploading demo.zip', { stream: out.stream, tty: false });
    progress.step('Installing');
    progress.stop();
    expect(out.text()).toBe('Uploading demo.zip...\nInstalling...\n');
  });

  it('redraws one line with the elapsed time on a terminal, and clears it when stopped', () => {
    const out = sink();
    const progress = new Progress('Applying migrations', { stream: out.stream, tty: true });
    progress.stop();
    expect(out.text()).toMatch(/^\r\x1b\[2K\S Applying migrations \(0\.\d s\)\r\x1b\[2K$/);
  });

  it('formats sizes for people', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(3 * 1024 * 1024)]).toEqual(['512 B', '2.0 KB', '3.0 MB']);
  });
});
