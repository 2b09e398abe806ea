import express from 'express';
import { ExpressAdapter } from '@nestjs/platform-express';
import { PLUGIN_PATH, pluginRoutePrefix } from '../../loader/plugin-loader';

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
  private dispatching = false;

  /**
   * `ownerId`: the plugin an application of its own belongs to. Paths it registers outside Nest's
   * router (Swagger's pages, static assets) are then put under its prefix too.
   */
  constructor(
    server: express.Express,
    private readonly ownerId?: string,
  ) {
    super(server);
    for (const method of ROUTE_METHODS) {
      Object.defineProperty(this, method, { value: (...args: RouteArgs) => this.route(method, this.underPrefix(args)) });
    }
  }

  override use(...args: unknown[]): this {
    return super.use(...(this.underPrefix(args as RouteArgs) as unknown[]));
  }

  private underPrefix(args: RouteArgs): RouteArgs {
    const [path, ...rest] = args;
    if (this.ownerId === undefined || typeof path !== 'string') return args;
    const absolute = `/${path.replace(/^\/+/, '')}`;
    return [PLUGIN_PATH.test(absolute) ? path : `/${pluginRoutePrefix(this.ownerId)}${absolute}`, ...rest];
  }

  private route(method: (typeof ROUTE_METHODS)[number], args: RouteArgs): unknown {
    const pluginId = typeof args[0] === 'string' ? PLUGIN_PATH.exec(args[0])?.[1] : undefined;
    if (pluginId === undefined) return (this.instance as unknown as Routes)[method](...args);
    let router = this.routers.get(pluginId);
    if (!router) {
      router = express.Router();
      this.routers.set(pluginId, router);
    }
    return (router as unknown as Routes)[method](...args);
  }

  /**
   * Nest registers its body parsers first when the application initialises, then the routes, then
   * its not-found and error handlers: the dispatch to the plugin routers goes right after the
   * parsers, where the routes would have been, even for routes registered before (Swagger's).
   */
  override registerParserMiddleware(...args: Parameters<ExpressAdapter['registerParserMiddleware']>): void {
    super.registerParserMiddleware(...args);
    if (!this.dispatching) this.instance.use(this.dispatch);
    this.dispatching = true;
  }

  private readonly dispatch: express.RequestHandler = (req, res, next) => {
    const pluginId = PLUGIN_PATH.exec(req.url)?.[1];
    const router = pluginId === undefined ? undefined : this.routers.get(pluginId);
    if (router) router(req, res, next);
    else next();
  };
}
