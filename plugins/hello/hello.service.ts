import { Injectable } from '@nestjs/common';
import { HostInfo, PluginSettings } from 'appnest';

@Injectable()
export class HelloService {
  constructor(
    private readonly settings: PluginSettings,
    private readonly hostInfo: HostInfo,
  ) {}

  greet(name = 'world'): { message: string; hostApi: string } {
    return { message: `${this.settings.get<string>('greeting')}, ${name}!`, hostApi: this.hostInfo.apiVersion };
  }
}
