import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a simulated playbook does to the inventory. */
export type TemplateAction = 'provision' | 'deprovision' | 'noop';

/** AWX has two launchable template kinds; each answers under its own API collection. */
export type TemplateKind = 'job' | 'workflow';

export interface ExtraTemplateOptions {
  name: string;
  kind: TemplateKind;
  action: TemplateAction;
  /** Defaults to true. False reproduces AWX silently dropping extra_vars (reported in `ignored_fields`). */
  askVariablesOnLaunch?: boolean;
}

export interface EdaStreamOptions {
  uuid: string;
  action: 'provision' | 'deprovision';
  /** Token auth: the header must carry this value, with or without a leading "Bearer " (as EDA strips it). */
  token?: string;
  /** Header that carries the token; default `Authorization`. */
  tokenHeader?: string;
  /** HMAC auth: hex HMAC-SHA256 of the raw body, optionally prefixed `sha256=`. */
  hmacSecret?: string;
  /** Header that carries the signature; default `X-Hub-Signature-256`. */
  hmacHeader?: string;
}

/**
 * Where the simulated EDA playbooks report what the real ones write on the ComputeInstance: the
 * plugin's callback route in database mode, the Kubernetes API in cluster mode. Without a target
 * the EDA-launched jobs only touch the simulated inventory.
 */
export type EdaPlaybookTarget =
  | {
      type: 'callback';
      /** The plugin's API base, e.g. `http://localhost:7007/api/vm-lifecycle`. */
      baseUrl: string;
      /** `vmLifecycle.provider.eda.callbackToken`. */
      token: string;
    }
  | {
      type: 'kubernetes';
      /** e.g. `https://api.cluster:6443`; CRs at `/apis/<group>/v1alpha1/namespaces/<ns>/computeinstances/<name>`. */
      apiServerUrl: string;
      /** Default `osac.openshift.io`. */
      group?: string;
      /** Bearer token of a service account allowed to get and patch computeinstances. */
      token?: string;
    };

export interface AapSimulatorOptions {
  /** Required Bearer token; default 'sim-token'. */
  token?: string;
  /** Total run time of a job, queueing included; defaults 20000 / 8000 ms. */
  durations?: { provisionMs?: number; deprovisionMs?: number };
  /** Time spent in pending + waiting before running; default 10% of the duration, may be 0. */
  queueDelayMs?: number;
  /** If true, the create/delete templates exist as workflow job templates instead of job templates. */
  workflowTemplates?: boolean;
  /** Default 'osac' -> 'osac-create-compute-instance', 'osac-delete-compute-instance'. */
  templatePrefix?: string;
  extraTemplates?: ExtraTemplateOptions[];
  edaStreams?: EdaStreamOptions[];
  /** See EdaPlaybookTarget; can also be set later with `setEdaTarget`. */
  edaTarget?: EdaPlaybookTarget;
  log?: (message: string) => void;
  /** Clock for timestamps; timers always run on real time. */
  now?: () => number;
  /** Seed for the PRNG behind `jobFailureRate`, so a failure pattern can be replayed. Default 1. */
  seed?: number;
  /**
   * Create and delete the playbooks' VMs as KubeVirt objects in this Kubernetes API server (a
   * VirtualMachine labelled `<apiGroup>/computeinstance=<name>`, and its running VMI with an IP)
   * instead of the in-memory inventory; `vms()` and `/_sim/vms` then stay empty. A failed API call
   * fails the playbook task, as a failing kubevirt module would.
   */
  kubevirt?: {
    apiServerUrl: string;
    token?: string;
    /** Label prefix, the controller's API group. Default osac.openshift.io. */
    apiGroup?: string;
  };
}

export interface SimVm {
  namespace: string;
  name: string;
  uid: string;
  createdByJob: number;
  createdAt: string;
}

export interface SimJobInfo {
  id: number;
  type: 'job' | 'workflow_job';
  template: string;
  status: string;
  instance: { namespace: string; name: string; uid: string } | null;
  created: string;
  started: string | null;
  finished: string | null;
  /** When the cancel was requested (AWX `canceled_on`); the job may still run its current task. */
  canceledAt?: string;
  statusChangedAt: string;
  /** Present when the job was purged through faults: it still counts as launched, but AWX answers 404 for it. */
  purged?: boolean;
}

/**
 * Which requests an answer fault hits: the next `next` requests of its kind, then each further one
 * with probability `rate` (seeded, so a run can be replayed). Both default to 0.
 */
export interface AnswerFaultRule {
  next?: number;
  rate?: number;
}

/** Answer faults by request kind (`launch`, `cancel`, `job_status`, `batch_status`, `eda_post`, ...). */
export type AnswerFaults<R extends AnswerFaultRule = AnswerFaultRule> = Partial<
  Record<RequestKind, R>
>;

export interface SimFaults {
  failNextLaunches?: number;
  /** Status for those failures, default 500; 429/503 add Retry-After. */
  launchStatus?: number;
  /** Retry-After for 429/503 answers; default 1. */
  retryAfterSeconds?: number;
  /** Fails job detail GETs and batch status (unified_jobs) polls. */
  failNextStatusPolls?: number;
  statusPollStatus?: number;
  /** 0..1, fraction of newly launched jobs that end failed. */
  jobFailureRate?: number;
  /** Delay before every AWX / EDA answer. */
  latencyMs?: number;
  /** Job ids to purge; accumulates, answered back as all purged ids. */
  purgeJobs?: number[];
  /** Destroy the socket without answering. */
  dropNextConnections?: number;
  /**
   * The request is carried out (a launch creates its job, a cancel cancels), then its answer is
   * lost: the connection is reset before a status line reaches the client. What a gateway or load
   * balancer that times out or resets after AAP did the work looks like.
   */
  lostAnswers?: AnswerFaults;
  /** Carried out, then answered only after `delayMs`: longer than the client's time-out, it gives up first. */
  slowAnswers?: AnswerFaults<AnswerFaultRule & { delayMs: number }>;
  /** Carried out, then a gateway answers `status` (502, 503 or 504; default 504) instead of AAP's answer. */
  gatewayErrors?: AnswerFaults<AnswerFaultRule & { status?: number }>;
}

export type RequestKind =
  | 'template_lookup'
  | 'launch'
  | 'job_status'
  | 'batch_status'
  | 'cancel'
  | 'stdout'
  | 'job_events'
  | 'eda_post'
  | 'job_lookup'
  | 'other';

export interface AapSimulator {
  /**
   * Node request handler; req.url is relative to wherever it is mounted (so it can be mounted under
   * /api/aap-simulator by an express app, which strips the mount path).
   */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Port 0 = random; url like http://127.0.0.1:PORT. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops the server and all timers. */
  close(): Promise<void>;
  /** Forget jobs, VMs, faults, counters. */
  reset(): void;
  /** Merges. */
  setFaults(faults: SimFaults): void;
  /** Where EDA-launched jobs report back from now on (undefined: nowhere); running jobs keep theirs. */
  setEdaTarget(target: EdaPlaybookTarget | undefined): void;
  vms(): SimVm[];
  jobs(): SimJobInfo[];
  /** Counts of API requests by kind, for benchmarks. */
  requestCounts(): Record<string, number>;
}
