import { Test } from '@nestjs/testing';
import { HostInfo, PluginSettings } from 'appnest';
import { HelloService } from './hello.service.js';

describe('HelloService', () => {
  let service: HelloService;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        HelloService,
        { provide: PluginSettings, useValue: new PluginSettings({ readSettings: () => ({ greeting: 'Hi' }) }, 'hello') },
        { provide: HostInfo, useValue: new HostInfo('1.4.0', 'embedded') },
      ],
    }).compile();
    service = moduleRef.get(HelloService);
  });

  it('greets by name with the greeting setting', () => {
    expect(service.greet('Ada')).toEqual({ message: 'Hi, Ada!', hostApi: '1.4.0' });
  });

  it('greets the world when no name is given', () => {
    expect(service.greet().message).toBe('Hi, world!');
  });
});
