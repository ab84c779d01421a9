import { createAapSimulator } from '../simulator';
import type { AapSimulator, AapSimulatorOptions } from '../types';

export const TEST_TOKEN = 'test-token';

export interface InstanceMeta {
  namespace: string;
  name: string;
  uid?: string;
}

/** The launch body the production AAP Direct provider sends: the whole resource as the event payload. */
export function launchBody(instance: InstanceMeta): {
  extra_vars: Record<string, unknown>;
} {
  return {
    extra_vars: {
      ansible_eda: {
        event: {
          payload: {
            apiVersion: 'osac.openshift.io/v1alpha1',
            kind: 'ComputeInstance',
            metadata: instance,
            spec: {
              templateID: 'small',
              cores: 2,
              memoryGiB: 4,
              runStrategy: 'Always',
            },
          },
        },
      },
    },
  };
}

export interface SimHarness {
  sim: AapSimulator;
  url: string;
  /** fetch against `<url>/<base>/<path>` with the Bearer token and JSON content type. */
  api(path: string, init?: RequestInit & { base?: string }): Promise<Response>;
  templateId(name: string, kind?: 'job' | 'workflow'): Promise<number>;
  launch(
    name: string,
    instance: InstanceMeta,
    kind?: 'job' | 'workflow',
  ): Promise<number>;
  job(
    id: number,
    collection?: 'jobs' | 'workflow_jobs',
  ): Promise<Record<string, any>>;
  waitForJob(
    id: number,
    predicate: (job: Record<string, any>) => boolean,
    collection?: 'jobs' | 'workflow_jobs',
    timeoutMs?: number,
  ): Promise<Record<string, any>>;
  stdout(id: number): Promise<string>;
  close(): Promise<void>;
}

/** Short durations keep a full lifecycle well under a second while every phase is still observable. */
export async function startSimulator(
  options: AapSimulatorOptions = {},
): Promise<SimHarness> {
  const sim = createAapSimulator({
    token: TEST_TOKEN,
    durations: { provisionMs: 300, deprovisionMs: 150 },
    queueDelayMs: 20,
    ...options,
  });
  const { url } = await sim.listen(0);

  const api: SimHarness['api'] = (path, init = {}) => {
    const { base = '/api/v2', headers, ...rest } = init;
    return fetch(`${url}${base}/${path}`, {
      ...rest,
      headers: {
        Authorization: `Bearer ${TEST_TOKEN}`,
        'Content-Type': 'application/json',
        ...(headers as Record<string, string> | undefined),
      },
    });
  };

  const templateId: SimHarness['templateId'] = async (name, kind = 'job') => {
    const collection =
      kind === 'job' ? 'job_templates' : 'workflow_job_templates';
    const res = await api(`${collection}/?name=${encodeURIComponent(name)}`);
    const body = await res.json();
    if (body.count !== 1)
      throw new Error(`template ${name} not found as ${kind}`);
    return body.results[0].id;
  };

  const job: SimHarness['job'] = async (id, collection = 'jobs') => {
    const res = await api(`${collection}/${id}/`);
    if (res.status !== 200)
      throw new Error(`GET ${collection}/${id}/ answered ${res.status}`);
    return res.json();
  };

  return {
    sim,
    url,
    api,
    templateId,
    async launch(name, instance, kind = 'job') {
      const id = await templateId(name, kind);
      const collection =
        kind === 'job' ? 'job_templates' : 'workflow_job_templates';
      const res = await api(`${collection}/${id}/launch/`, {
        method: 'POST',
        body: JSON.stringify(launchBody(instance)),
      });
      if (res.status !== 201) throw new Error(`launch answered ${res.status}`);
      return (await res.json()).id;
    },
    job,
    async waitForJob(id, predicate, collection = 'jobs', timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await job(id, collection);
        if (predicate(current)) return current;
        if (Date.now() > deadline) {
          throw new Error(
            `job ${id} did not reach the expected state; last status ${current.status}`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 10));
      }
    },
    async stdout(id) {
      const res = await api(`jobs/${id}/stdout/?format=txt`);
      return res.text();
    },
    close: () => sim.close(),
  };
}

export const isFinished = (job: Record<string, any>) =>
  ['successful', 'failed', 'canceled', 'error'].includes(job.status);
