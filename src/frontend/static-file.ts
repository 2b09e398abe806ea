import { closeSync, createReadStream, readSync } from 'node:fs';
import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import { contentTypeOf } from './content-types';
import type { OpenedFile } from './safe-file';

const SMALL_FILE = 64 * 1024;

/** Sends an opened file (and closes it) with its type, validators and `nosniff`; answers 304 and HEAD without a body. */
export function sendOpenedFile(req: Request, res: Response, file: OpenedFile, name: string, cacheControl: string): void {
  const { fd, stat } = file;
  const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', contentTypeOf(name));
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  const matches = req.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag);
  if (matches || req.method === 'HEAD') {
    closeSync(fd);
    if (matches) res.status(304).end();
    else res.setHeader('Content-Length', stat.size).end();
    return;
  }
  if (stat.size <= SMALL_FILE) {
    // One read and one write: a stream costs more than the copy for a typical hashed bundle chunk.
    const body = Buffer.allocUnsafe(stat.size);
    let read = 0;
    try {
      for (let n = -1; n !== 0 && read < stat.size; read += n) n = readSync(fd, body, read, stat.size - read, read);
    } finally {
      closeSync(fd);
    }
    res.setHeader('Content-Length', read).end(body.subarray(0, read));
    return;
  }
  res.setHeader('Content-Length', stat.size);
  pipeline(createReadStream('', { fd, autoClose: true }), res, (err) => {
    if (err && !res.headersSent) res.status(500).end();
  });
}
