import { join } from 'node:path';
import request from 'supertest';
import { startTestHost, type TestHost } from 'appnest/testing';

describe('hello, enabled in a host', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [join(__dirname, '..')] });
  });
  afterAll(() => host?.stop());

  it('answers a greeting with the default setting and the host API version', async () => {
    const res = await request(host.url).get('/api/plugins/hello/greeting').query({ name: 'Ada' }).expect(200);
    expect(res.body).toEqual({ message: 'Hello, Ada!', hostApi: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  });

  it('greets with a saved greeting at once, without a restart', async () => {
    await request(host.url)
      .put('/api/admin/plugins/hello/settings')
      .set({ authorization: `Bearer ${host.adminToken}` })
      .send({ settings: { greeting: 'Howdy' } })
      .expect(200);
    const res = await request(host.url).get('/api/plugins/hello/greeting').expect(200);
    expect(res.body.message).toBe('Howdy, world!');
  });
});
