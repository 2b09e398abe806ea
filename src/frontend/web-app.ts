import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Request, Response } from 'express';
import { cacheControlOf } from './content-types';
import { decodeRequestPath } from './request-path';
import { openInside } from './safe-file';
import { sendOpenedFile } from './static-file';

/** The repository root: the nearest folder above this file holding package.json (works from src/ and dist/src/). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/** Where the built SPA is: APPNEST_WEB_DIST, else web/dist in the repository. */
export function webDistDir(): string {
  return process.env.APPNEST_WEB_DIST ?? join(packageRoot(__dirname), 'web', 'dist');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>appnest</title>
<p>The web app is not built. Run <code>npm run build:web</code> (or <code>npm run build</code>), then reload.</p>`;

/**
 * Serves the built SPA: its files by path (hashed ones cached for a year), index.html for every
 * other path so the SPA's own router decides, and 404 for a missing file-like path.
 */
export class WebApp {
  constructor(private readonly distDir = webDistDir()) {}

  serve(req: Request, res: Response): void {
    const segments = decodeRequestPath(req.path.replace(/^\/+/, '').replace(/\/+$/, ''));
    if (segments && segments.length > 0) {
      const file = openInside(this.distDir, segments);
      if (file) return sendOpenedFile(req, res, file, segments.join('/'), cacheControlOf(segments[segments.length - 1]));
    }
    const looksLikeFile = /\.[A-Za-z0-9]+$/.test(req.path);
    if (!segments || looksLikeFile) {
      res.status(404).type('text/plain').setHeader('X-Content-Type-Options', 'nosniff');
      res.send('Not found');
      return;
    }
    const index = openInside(this.distDir, ['index.html']);
    if (!index) {
      res.status(503).type('html').setHeader('Cache-Control', 'no-store');
      res.send(NOT_BUILT);
      return;
    }
    sendOpenedFile(req, res, index, 'index.html', 'no-cache');
  }
}
