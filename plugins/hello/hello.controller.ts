import { Controller, Get, Query } from '@nestjs/common';
import { HelloService } from './hello.service.js';

@Controller()
export class HelloController {
  constructor(private readonly hello: HelloService) {}

  @Get('greeting')
  greeting(@Query('name') name?: string) {
    return this.hello.greet(name);
  }
}
