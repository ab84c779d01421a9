import { SimHarness, startSimulator } from './testing/simTestHarness';

const CREATE = 'osac-create-compute-instance';
const DELETE = 'osac-delete-compute-instance';

/** The list filters a client may use to find a job again, with AWX's answers for the ones it may not. */
describe('job lists: AWX filters', () => {
  let h: SimHarness;

  beforeEach(async () => {
    h = await startSimulator({
      durations: { provisionMs: 60_000, deprovisionMs: 60_000 },
    });
  });

  afterEach(async () => {
    await h.close();
  });

  const list = async (path: string) => {
    const res = await h.api(path);
    return { status: res.status, body: await res.json() };
  };

  it('filters jobs by template and creation time, orders by id, pages with next links', async () => {
    const a = await h.launch(CREATE, { namespace: 'ns', name: 'a' });
    const d = await h.launch(DELETE, { namespace: 'ns', name: 'a' });
    await new Promise(r => setTimeout(r, 20));
    const since = new Date().toISOString();
    const b = await h.launch(CREATE, { namespace: 'ns', name: 'b' });
    const c = await h.launch(CREATE, { namespace: 'ns', name: 'c' });
    const tid = await h.templateId(CREATE);

    const all = await list(`jobs/?job_template=${tid}&order_by=id`);
    expect(all.body.results.map((j: any) => j.id)).toEqual([a, b, c]);
    expect(all.body.results.map((j: any) => j.id)).not.toContain(d);

    const recent = await list(
      `jobs/?job_template=${tid}&created__gte=${encodeURIComponent(since)}&order_by=-id&page_size=1`,
    );
    expect(recent.body.count).toBe(2);
    expect(recent.body.results.map((j: any) => j.id)).toEqual([c]);
    const next = recent.body.next as string;
    expect(next).toContain('created__gte=');
    const page2 = await fetch(`${h.url}${next}`, {
      headers: { Authorization: 'Bearer test-token' },
    }).then(r => r.json());
    expect(page2.results.map((j: any) => j.id)).toEqual([b]);
  });

  it('list rows carry extra_vars (as AWX list serializers do) but never result_traceback', async () => {
    const id = await h.launch(CREATE, {
      namespace: 'ns',
      name: 'x',
      uid: 'u-x',
    });
    for (const path of [`jobs/?id=${id}`, `unified_jobs/?id__in=${id}`]) {
      const { body } = await list(path);
      const [row] = body.results;
      expect(
        JSON.parse(row.extra_vars).ansible_eda.event.payload.metadata.uid,
      ).toBe('u-x');
      expect(row).not.toHaveProperty('result_traceback');
      expect(row).toEqual(
        expect.objectContaining({ id, job_template: expect.any(Number) }),
      );
    }
    expect(await h.job(id)).toHaveProperty('result_traceback', '');
  });

  it('refuses to filter on extra_vars with 403, as AWX does for prevent_search fields', async () => {
    await h.launch(CREATE, { namespace: 'ns', name: 'x' });
    for (const filter of [
      'extra_vars__contains=x',
      'extra_vars__icontains=x',
      'extra_vars=x',
    ]) {
      const res = await list(`jobs/?${filter}`);
      expect(res).toEqual({
        status: 403,
        body: { detail: 'Filtering on extra_vars is not allowed.' },
      });
    }
  });

  it('answers 400 for a field the model lacks, a malformed time, and a filter it does not simulate', async () => {
    expect((await list('workflow_jobs/?job_template=1')).body.detail).toBe(
      "WorkflowJob has no field named 'job_template'",
    );
    expect((await list('jobs/?created__gte=yesterday')).status).toBe(400);
    expect((await list('jobs/?job_template=abc')).body.detail).toBe(
      'Invalid job_template id: abc',
    );
    const unknown = await list('jobs/?playbook__icontains=x');
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toMatch(/does not implement/);
  });

  it('filters workflow jobs by workflow_job_template', async () => {
    const s = await startSimulator({
      workflowTemplates: true,
      durations: { provisionMs: 60_000 },
    });
    try {
      const id = await s.launch(
        CREATE,
        { namespace: 'ns', name: 'w' },
        'workflow',
      );
      const tid = await s.templateId(CREATE, 'workflow');
      const res = await s.api(`workflow_jobs/?workflow_job_template=${tid}`);
      const body = await res.json();
      expect(body.results.map((j: any) => j.id)).toEqual([id]);
      expect(body.results[0].type).toBe('workflow_job');
    } finally {
      await s.close();
    }
  });
});
