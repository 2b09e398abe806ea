import express from 'express';
import { ExpressAdapter } from '@nestjs/platform-express';
import { PLUGIN_PATH } from '../loader/plugin-loader';

/** The methods Nest's router explorer registers routes with (its REQUEST_METHOD_MAP). */
const ROUTE_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head', 'search', 'propfind', 'proppatch', 'mkcol', 'copy', 'move', 'lock', 'unlock', 'query'] as const;

type RouteArgs = [path: unknown, ...handlers: unknown[]];
type Routes = Record<(typeof ROUTE_METHODS)[number], (...args: RouteArgs) => unknown>;

/**
 * The Express adapter of plugin applications. Each plugin's routes go into a router of their own,
 * and a request goes straight to its plugin's router: Express tries routes one after the other, so
 * in an application shared by many plugins a request would otherwise walk past the routes of every
 * plugin mounted before its own. Routes outside /api/plugins/<id>/ stay on the application.
 */
export class PluginRoutesAdapter extends ExpressAdapter {
  private readonly routers = new Map<string, express.Router>();

  constructor(server: express.Express) {
    super(server);
    for (const method of ROUTE_METHODS) {
      Object.defineProperty(this, method, { value: (...args: RouteArgs) => this.route(method, args) });
    }
  }

  private route(method: (typeof ROUTE_METHODS)[number], args: RouteArgs): unknown {
    const pluginId = typeof args[0] === 'string' ? PLUGIN_PATH.exec(args[0])?.[1] : undefined;
    if (pluginId === undefined) return (this.instance as unknown as Routes)[method](...args);
    let router = this.routers.get(pluginId);
    if (!router) {
      // Nest registers its body parsers before the routes and its not-found and error handlers
      // after them, so the dispatch lands between the two, where the routes would have been.
      if (this.routers.size === 0) this.instance.use(this.dispatch);
      router = express.Router();
      this.routers.set(pluginId, router);
    }
    return (router as unknown as Routes)[method](...args);
  }

  private readonly dispatch: express.RequestHandler = (req, res, next) => {
    const pluginId = PLUGIN_PATH.exec(req.url)?.[1];
    const router = pluginId === undefined ? undefined : this.routers.get(pluginId);
    if (router) router(req, res, next);
    else next();
  };
}
