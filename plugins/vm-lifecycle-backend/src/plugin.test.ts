import { startTestBackend } from '@backstage/backend-test-utils';
import request from 'supertest';
import vmLifecyclePlugin from '.';

describe('vm-lifecycle backend plugin', () => {
  it('answers the health route without credentials', async () => {
    const { server } = await startTestBackend({
      features: [vmLifecyclePlugin],
    });
    const res = await request(server).get('/api/vm-lifecycle/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('does not serve unknown routes', async () => {
    const { server } = await startTestBackend({
      features: [vmLifecyclePlugin],
    });
    const res = await request(server).get('/api/vm-lifecycle/nope');
    expect(res.status).toBe(404);
  });
});
