import { extname } from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * true for a name that carries a content hash, as bundlers write them: a `-` or `.` then 8 or
 * more of [A-Za-z0-9_-] before the extension (`index-BZx3k1Qa.js`, `app.3f2a9b1c.css`), where the
 * hash has a digit or a capital after its first letter, so a word (`my-component.js`,
 * `My-Component.js`) is not taken for one.
 */
export function isHashedName(file: string): boolean {
  const name = file.slice(file.lastIndexOf('/') + 1);
  const match = /[.-]([A-Za-z0-9_-]{8,})\.[A-Za-z0-9]+$/.exec(name);
  if (!match) return false;
  const hash = match[1];
  return /[0-9]/.test(hash) || /[A-Z]/.test(hash.slice(1));
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export function cacheControlOf(file: string): string {
  return isHashedName(file) ? IMMUTABLE : 'no-cache';
}
