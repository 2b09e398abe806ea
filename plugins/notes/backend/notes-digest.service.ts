import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Not, type Repository } from 'typeorm';
import { Action, JobHandler, JobQueue, type JobContext, type QueuedJob } from 'appnest';
import { Note } from './note.entity.js';

export const DIGEST_TITLE = 'Digest';

/**
 * Collects every note into one Markdown note, the digest, in a background job: the "Make a digest"
 * action answers at once with the job id, and the digest is written (and retried if it fails) on
 * whichever instance picks the job up.
 */
@Injectable()
export class NotesDigestService {
  constructor(
    @InjectRepository(Note) private readonly notes: Repository<Note>,
    private readonly jobs: JobQueue,
  ) {}

  @Action('digest')
  requestDigest(): Promise<QueuedJob> {
    // One digest a minute at most, however often the button is pressed.
    return this.jobs.enqueue('digest', {}, { singletonKey: 'digest', singletonSeconds: 60 });
  }

  @JobHandler('digest', { retryLimit: 3, retryDelaySeconds: 10, timeoutSeconds: 120 })
  async writeDigest(_data: object, job: JobContext): Promise<void> {
    const notes = await this.notes.find({ where: { title: Not(DIGEST_TITLE) }, order: { pinned: 'DESC', createdAt: 'DESC' } });
    if (job.signal.aborted) return;
    // Read: half done. The admin page following the job shows it; completed shows 100 %.
    job.progress(50);
    const body = notes.map((note) => `## ${note.title}\n\n${note.body}\n`).join('\n');
    await this.notes.manager.transaction(async (manager) => {
      await manager.delete(Note, { title: DIGEST_TITLE });
      await manager.save(manager.create(Note, { title: DIGEST_TITLE, body, pinned: false }));
    });
  }
}
