import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, Module, Post, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory, RouterModule } from '@nestjs/core';
import express from 'express';
import { pluginRoutePrefix } from '../../loader/plugin-loader';
import { PluginRoutesAdapter } from './plugin-routes-adapter';

/** One module per plugin, as an application shared by plugins mounts them. */
function pluginModule(id: string): Type<unknown> {
  @Controller()
  class PingController {
    @Get('ping')
    ping() {
      return { id };
    }

    @Post('echo')
    echo(@Body() body: unknown) {
      return { id, body };
    }

    @Get('boom')
    boom() {
      throw new Error('boom');
    }
  }
  @Module({ controllers: [PingController] })
  class PluginModule {}
  return PluginModule;
}

@Controller('outside')
class OutsideController {
  @Get()
  outside() {
    return { outside: true };
  }
}

describe('PluginRoutesAdapter', () => {
  const ids = Array.from({ length: 30 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  const server = express();
  let app: INestApplication;
  let http: Server;
  let url: string;

  beforeAll(async () => {
    const modules = ids.map(pluginModule);
    const root: DynamicModule = {
      module: class RootModule {},
      imports: [...modules, RouterModule.register(modules.map((module, i) => ({ path: pluginRoutePrefix(ids[i]), module })))],
      controllers: [OutsideController],
    };
    app = await NestFactory.create(root, new PluginRoutesAdapter(server), { logger: false });
    await app.init();
    http = createServer(server).listen(0);
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    http.close();
    await app.close();
  });

  it('answers each plugin from its own routes, with the body parsed, and leaves other routes on the application', async () => {
    for (const id of [ids[0], ids[17], ids[29]]) {
      expect(await (await fetch(`${url}/api/plugins/${id}/ping`)).json()).toEqual({ id });
    }
    const posted = await fetch(`${url}/api/plugins/p05/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 1 }) });
    expect(await posted.json()).toEqual({ id: 'p05', body: { n: 1 } });
    expect(await (await fetch(`${url}/outside`)).json()).toEqual({ outside: true });
  });

  it("keeps Nest's answers for a missing route and a failing handler", async () => {
    for (const path of ['/api/plugins/p03/nothing', '/api/plugins/unknown/ping', '/nothing']) {
      const res = await fetch(url + path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ statusCode: 404 });
    }
    const failing = await fetch(`${url}/api/plugins/p07/boom`);
    expect(failing.status).toBe(500);
    expect(await failing.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('puts one dispatch on the application instead of every plugin route', () => {
    const stack = (server as unknown as { router: { stack: { route?: { path: string } }[] } }).router.stack;
    const pluginRoutes = stack.filter((layer) => layer.route?.path.startsWith('/api/plugins/'));
    expect(pluginRoutes).toEqual([]);
    expect(stack.filter((layer) => layer.route).map((layer) => layer.route!.path)).toEqual(['/outside']);
  });
});
