import { join } from 'node:path';
import request from 'supertest';
import { startTestHost, type TestHost } from 'appnest/testing';

interface Note {
  id: string;
  title: string;
  body: string;
  pinned: boolean;
}

// A real host with notes enabled: its two migrations ran, so the pinned welcome note is there.
describe('notes, enabled in a host', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [join(__dirname, '..')] });
  });
  afterAll(() => host?.stop());

  const admin = () => ({ authorization: `Bearer ${host.adminToken}` });

  it('lists the welcome note its migration seeds, then new notes after the pinned ones', async () => {
    await request(host.url).post('/api/plugins/notes/notes').send({ title: 'Groceries', body: 'Milk' }).expect(201);
    const listed = await request(host.url).get('/api/plugins/notes/notes').expect(200);
    expect((listed.body as Note[]).map((note) => [note.title, note.pinned])).toEqual([
      ['Welcome', true],
      ['Groceries', false],
    ]);
  });

  it('refuses a note without a title, or with fields it does not know', async () => {
    await request(host.url).post('/api/plugins/notes/notes').send({ body: 'No title' }).expect(400);
    await request(host.url).post('/api/plugins/notes/notes').send({ title: 'x', colour: 'red' }).expect(400);
  });

  it('deletes a note once, then answers 404', async () => {
    const created = await request(host.url).post('/api/plugins/notes/notes').send({ title: 'Short-lived' }).expect(201);
    await request(host.url).delete(`/api/plugins/notes/notes/${created.body.id}`).expect(204);
    await request(host.url).delete(`/api/plugins/notes/notes/${created.body.id}`).expect(404);
  });

  it('collects the notes into a Markdown digest in the background job the digest action queues', async () => {
    const ran = await request(host.url).post('/api/admin/plugins/notes/run').set(admin()).send({ action: 'digest' }).expect(200);
    expect(ran.body.result).toMatchObject({ status: 'queued', queue: 'digest', jobId: expect.any(String) });
    let state = '';
    for (let tries = 0; tries < 100 && state !== 'completed'; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (await request(host.url).get(`/api/admin/plugins/notes/jobs/${ran.body.result.jobId}`).set(admin()).expect(200)).body.state;
    }
    expect(state).toBe('completed');
    const digest = ((await request(host.url).get('/api/plugins/notes/notes').expect(200)).body as Note[]).find((note) => note.title === 'Digest');
    expect(digest?.body).toContain('## Welcome\n\nNotes is an appnest example plugin.');
    expect(digest?.body).toContain('## Groceries\n\nMilk');
  });

  it('deletes every note with the purge action', async () => {
    const ran = await request(host.url).post('/api/admin/plugins/notes/run').set(admin()).send({ action: 'purge' }).expect(200);
    expect(ran.body.result.deleted).toBeGreaterThanOrEqual(1);
    expect((await request(host.url).get('/api/plugins/notes/notes').expect(200)).body).toEqual([]);
  });
});
