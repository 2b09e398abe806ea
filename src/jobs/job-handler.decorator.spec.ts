import { JobHandler, JOB_HANDLER_METADATA } from './job-handler.decorator';
import { declaredHandlers } from './job-declarations';
import { queueOptions } from './queue-options';

class Mailer {
  @JobHandler('send-mail', { retryLimit: 5, timeoutSeconds: 60 })
  send() {}

  @JobHandler('digest')
  digest() {}

  plain() {}
}

describe('@JobHandler', () => {
  it('marks the method with its queue and options, found on the provider instance', () => {
    const mailer = new Mailer();
    expect(Reflect.getMetadata(JOB_HANDLER_METADATA, Mailer.prototype.send)).toEqual({ queue: 'send-mail', options: { retryLimit: 5, timeoutSeconds: 60 } });
    expect(declaredHandlers([mailer]).map((h) => [h.queue, h.owner])).toEqual([
      ['send-mail', 'Mailer.send'],
      ['digest', 'Mailer.digest'],
    ]);
  });

  it('refuses a queue name that is not lower-case letters, digits, _ and -, saying how to write one', () => {
    expect(() => JobHandler('Send.Mail')).toThrow(/@JobHandler\('Send\.Mail'\): a queue name is lower-case letters/);
    expect(() => JobHandler('')).toThrow(TypeError);
  });

  it('takes shared as true, false or a list of plugin ids, and refuses anything else', () => {
    expect(() => JobHandler('q', { shared: true })).not.toThrow();
    expect(() => JobHandler('q', { shared: ['gallery', 'blog'] })).not.toThrow();
    expect(() => JobHandler('q', { shared: ['Gallery!'] })).toThrow(/@JobHandler\('q'\): shared is true, false or a list of plugin ids/);
    expect(() => JobHandler('q', { shared: 'gallery' as unknown as string[] })).toThrow(TypeError);
  });

  it('refuses a heartbeat shorter than 10 seconds', () => {
    expect(() => JobHandler('q', { heartbeatSeconds: 2 })).toThrow(/heartbeatSeconds must be a whole number of 10 or more/);
  });

  it('turns the options into queue options: defaults, expiry one second past the timeout, the dead-letter queue', () => {
    expect(queueOptions({}, 'notes.digest.dead')).toEqual({
      retryLimit: 3,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 301,
      heartbeatSeconds: 10,
      deadLetter: 'notes.digest.dead',
      notify: true,
    });
    expect(queueOptions({ retryLimit: 0, retryBackoff: false, timeoutSeconds: 9, wakeOnSend: false })).toMatchObject({ retryLimit: 0, retryBackoff: false, expireInSeconds: 10, notify: false });
  });
});
