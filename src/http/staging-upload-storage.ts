import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import { processTag, UPLOAD_PREFIX } from '../archive/install-journal';

/** Where the host's Express application keeps the folder uploads stream into (set by startHostApp). */
export const UPLOAD_DIR_LOCAL = 'appnestUploadDir';

export interface StoredUpload {
  path: string;
  size: number;
  originalname: string;
}

/**
 * A multer storage engine that streams an upload to a file in the staging folder, so an archive
 * is never held in memory while it arrives; multer's `fileSize` limit cuts it off while streaming.
 * The file is the caller's to remove; a start after a crash removes what a dead process left.
 */
export class StagingUploadStorage {
  _handleFile(req: Request, file: { stream: Readable }, done: (error: Error | null, info?: { path: string; size: number }) => void): void {
    const folder = req.app.locals[UPLOAD_DIR_LOCAL] as string;
    const path = join(folder, `${UPLOAD_PREFIX}${processTag()}${randomBytes(6).toString('hex')}.zip`);
    let size = 0;
    file.stream.on('data', (chunk: Buffer) => (size += chunk.length));
    pipeline(file.stream, createWriteStream(path, { flags: 'wx', mode: 0o600 })).then(
      () => done(null, { path, size }),
      (err: Error) => void rm(path, { force: true }).finally(() => done(err)),
    );
  }

  _removeFile(_req: Request, file: { path: string }, done: (error: Error | null) => void): void {
    rm(file.path, { force: true }).then(() => done(null), done);
  }
}
