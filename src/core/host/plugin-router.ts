import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PluginError } from '../../errors/plugin-error';
import { PLUGIN_PATH } from '../../loader/plugin-loader';
import type { PluginActivation, RequestHandler } from '../activation/plugin-activation';
import type { FrontDoor } from '../host-adapters';

/**
 * The HTTP server's one handler: /api/plugins/<id>/... goes to the plugin's activation, the rest
 * to the front door (the admin API, assets, the web app) once it is up. Its own answers (no
 * active plugin, host starting) are errors of the catalogue, in the error filter's shape.
 */
export function pluginRouter(deps: {
  activation: (id: string) => PluginActivation | undefined;
  frontDoor: () => FrontDoor | undefined;
  /** Told of each request an activation answered, when its response is sent (metrics, the upgrade probe); `began` is performance.now() at its arrival. */
  answered?: (id: string, activation: PluginActivation, req: IncomingMessage, res: ServerResponse, began: number) => void;
}): RequestHandler {
  const { answered } = deps;
  return (req, res) => {
    const match = PLUGIN_PATH.exec(req.url ?? '/');
    if (match && match[1] !== 'assets') {
      const id = safeDecode(match[1]);
      const activation = deps.activation(id);
      if (activation) {
        if (answered) {
          const began = performance.now();
          // One listener for every counter ('finish' is emitted once: `on` spares the wrapper `once` allocates).
          res.on('finish', () => answered(id, activation, req, res, began));
        }
        return activation.handle(req, res);
      }
      return sendError(res, new PluginError('PLG_NOT_FOUND', `No active plugin '${id}' serves ${req.url}.`, { pluginId: id, hint: `Enable '${id}', or check the plugin id in the path.` }));
    }
    const frontDoor = deps.frontDoor();
    if (frontDoor) return frontDoor.handler(req, res);
    res.setHeader('retry-after', '1');
    sendError(res, new PluginError('PLG_HOST_STARTING', 'The host is starting; retry in a moment.'));
  };
}

/** An error answer of the front door, in the catalogue's one shape (the same as the error filter's). */
function sendError(res: ServerResponse, error: PluginError): void {
  res.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(error.toJSON()));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
