import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  jobEventShape,
  jobListItem,
  jobShape,
  launchInfoShape,
  ShapeContext,
  templateShape,
} from './awxShapes';
import type { FaultState, InjectedFailure } from './faults';
import {
  detail,
  HttpError,
  readJsonObject,
  sendEmpty,
  sendJson,
  sendText,
} from './http';
import { isFinished, JobEngine, JobType, SimJob } from './jobs';
import { queryJobs } from './jobListQuery';
import { acceptLaunch } from './launchRequest';
import { paginate } from './pagination';
import { stripAnsi } from './playbooks';
import type { TemplateCatalog } from './templates';
import type { RequestKind, TemplateKind } from './types';

export interface AwxRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path below the API base, always ending in '/', e.g. `jobs/5/cancel/`. */
  subpath: string;
  query: URLSearchParams;
  /** Mount prefix + API base, e.g. `/api/aap-simulator/api/controller/v2`; used for links. */
  apiBase: string;
}

export interface AwxDeps {
  token: string;
  templates: TemplateCatalog;
  engine: JobEngine;
  faults: FaultState;
}

type Handler = (request: AwxRequest, params: string[]) => Promise<void> | void;

interface MethodRoute {
  kind: RequestKind;
  handler: Handler;
}

interface Route {
  pattern: RegExp;
  methods: Record<string, MethodRoute>;
  /** AWX serves a few informational endpoints without credentials. */
  anonymous?: boolean;
}

const NOT_FOUND = 'Not found.';

/**
 * The subset of the AWX v2 API the production client uses, served identically under `/api/v2/`
 * (AWX, AAP <= 2.4) and `/api/controller/v2/` (AAP 2.5+ behind the gateway).
 */
export class AwxApi {
  private readonly routes: Route[];

  constructor(private readonly deps: AwxDeps) {
    const templateRoutes = (
      collection: string,
      kind: TemplateKind,
    ): Route[] => [
      {
        pattern: new RegExp(`^${collection}/$`),
        methods: {
          GET: {
            kind: 'template_lookup',
            handler: r => this.listTemplates(r, kind),
          },
        },
      },
      {
        pattern: new RegExp(`^${collection}/(\\d+)/$`),
        methods: {
          GET: {
            kind: 'template_lookup',
            handler: (r, [id]) => this.getTemplate(r, kind, id),
          },
        },
      },
      {
        pattern: new RegExp(`^${collection}/(\\d+)/launch/$`),
        methods: {
          GET: {
            kind: 'template_lookup',
            handler: (r, [id]) => this.launchInfo(r, kind, id),
          },
          POST: {
            kind: 'launch',
            handler: (r, [id]) => this.launch(r, kind, id),
          },
        },
      },
    ];
    const jobRoutes = (collection: string, type: JobType): Route[] => [
      {
        pattern: new RegExp(`^${collection}/$`),
        methods: {
          GET: { kind: 'job_lookup', handler: r => this.listJobs(r, type) },
        },
      },
      {
        pattern: new RegExp(`^${collection}/(\\d+)/$`),
        methods: {
          GET: {
            kind: 'job_status',
            handler: (r, [id]) => this.getJob(r, type, id),
          },
        },
      },
      {
        pattern: new RegExp(`^${collection}/(\\d+)/cancel/$`),
        methods: {
          GET: {
            kind: 'cancel',
            handler: (r, [id]) => this.canCancel(r, type, id),
          },
          POST: {
            kind: 'cancel',
            handler: (r, [id]) => this.cancel(r, type, id),
          },
        },
      },
    ];
    this.routes = [
      {
        pattern: /^$/,
        methods: { GET: { kind: 'other', handler: r => this.root(r) } },
      },
      {
        pattern: /^ping\/$/,
        anonymous: true,
        methods: { GET: { kind: 'other', handler: r => this.ping(r) } },
      },
      {
        pattern: /^me\/$/,
        methods: { GET: { kind: 'other', handler: r => this.me(r) } },
      },
      ...templateRoutes('job_templates', 'job'),
      ...templateRoutes('workflow_job_templates', 'workflow'),
      ...jobRoutes('jobs', 'job'),
      ...jobRoutes('workflow_jobs', 'workflow_job'),
      {
        pattern: /^jobs\/(\d+)\/stdout\/$/,
        methods: {
          GET: { kind: 'stdout', handler: (r, [id]) => this.stdout(r, id) },
        },
      },
      {
        pattern: /^jobs\/(\d+)\/job_events\/$/,
        methods: {
          GET: {
            kind: 'job_events',
            handler: (r, [id]) => this.jobEvents(r, id),
          },
        },
      },
      {
        pattern: /^unified_jobs\/$/,
        methods: {
          GET: {
            kind: 'batch_status',
            handler: r => this.listJobs(r, undefined),
          },
        },
      },
    ];
  }

  /** For request counting, before faults or auth decide the answer. */
  classify(method: string, subpath: string): RequestKind {
    const match = this.match(subpath);
    return match?.route.methods[method]?.kind ?? 'other';
  }

  async handle(request: AwxRequest): Promise<void> {
    const { req, res, subpath } = request;
    const method = req.method ?? 'GET';
    const match = this.match(subpath);
    if (!match) {
      if (!subpath.endsWith('/') && this.match(`${subpath}/`)) {
        this.missingSlash(request);
        return;
      }
      sendJson(res, 404, detail('The requested resource could not be found.'));
      return;
    }
    if (!match.route.anonymous && !this.authenticate(request)) return;
    const methodRoute = match.route.methods[method];
    if (!methodRoute) {
      sendJson(res, 405, detail(`Method "${method}" not allowed.`), {
        Allow: Object.keys(match.route.methods).join(', '),
      });
      return;
    }
    await methodRoute.handler(request, match.params);
  }

  private match(
    subpath: string,
  ): { route: Route; params: string[] } | undefined {
    for (const route of this.routes) {
      const m = route.pattern.exec(subpath);
      if (m) return { route, params: m.slice(1) };
    }
    return undefined;
  }

  /**
   * Django's APPEND_SLASH answers a slashless GET with a redirect, but a redirected POST loses its
   * body; say so plainly instead of letting a launch turn into a confusing GET.
   */
  private missingSlash({
    req,
    res,
    subpath,
    query,
    apiBase,
  }: AwxRequest): void {
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      const search = query.toString();
      res.writeHead(301, {
        Location: `${apiBase}/${subpath}/${search ? `?${search}` : ''}`,
      });
      res.end();
      return;
    }
    sendJson(
      res,
      404,
      detail(
        `AWX URLs end with a slash: ${method} ${apiBase}/${subpath} would be redirected by AWX and lose its body; use ${apiBase}/${subpath}/`,
      ),
    );
  }

  private authenticate({ req, res }: AwxRequest): boolean {
    const header = req.headers.authorization;
    const challenge = { 'WWW-Authenticate': 'Bearer realm="api"' };
    if (!header) {
      sendJson(
        res,
        401,
        detail('Authentication credentials were not provided.'),
        challenge,
      );
      return false;
    }
    const [scheme, ...rest] = header.trim().split(/\s+/);
    const presented = Buffer.from(rest.join(' '));
    const expected = Buffer.from(this.deps.token);
    const valid =
      scheme.toLowerCase() === 'bearer' &&
      presented.length === expected.length &&
      timingSafeEqual(presented, expected);
    if (!valid) {
      sendJson(res, 401, detail('Invalid token.'), challenge);
      return false;
    }
    return true;
  }

  private ctx(request: AwxRequest): ShapeContext {
    return { apiBase: request.apiBase };
  }

  private root({ res, apiBase }: AwxRequest): void {
    const endpoints = [
      'ping',
      'me',
      'job_templates',
      'workflow_job_templates',
      'jobs',
      'workflow_jobs',
      'unified_jobs',
    ];
    sendJson(
      res,
      200,
      Object.fromEntries(endpoints.map(e => [e, `${apiBase}/${e}/`])),
    );
  }

  private ping({ res }: AwxRequest): void {
    sendJson(res, 200, {
      ha: false,
      version: '24.6.1',
      active_node: 'awx-sim-task-0',
      install_uuid: '00000000-0000-4000-8000-000000000000',
      instances: [
        {
          node: 'awx-sim-task-0',
          node_type: 'hybrid',
          uuid: '00000000-0000-4000-8000-000000000001',
          heartbeat: new Date().toISOString(),
          capacity: 1000,
          version: '24.6.1',
        },
      ],
      instance_groups: [
        { name: 'default', capacity: 1000, instances: ['awx-sim-task-0'] },
      ],
    });
  }

  private me({ res, apiBase }: AwxRequest): void {
    sendJson(res, 200, {
      count: 1,
      next: null,
      previous: null,
      results: [
        {
          id: 1,
          type: 'user',
          url: `${apiBase}/users/1/`,
          username: 'admin',
          is_superuser: true,
        },
      ],
    });
  }

  private listTemplates(request: AwxRequest, kind: TemplateKind): void {
    const { query } = request;
    let templates = this.deps.templates.list(kind);
    const name = query.get('name') ?? query.get('name__exact');
    if (name !== null) templates = templates.filter(t => t.name === name);
    const iname = query.get('name__iexact');
    if (iname !== null)
      templates = templates.filter(
        t => t.name.toLowerCase() === iname.toLowerCase(),
      );
    const id = query.get('id');
    if (id !== null) templates = templates.filter(t => String(t.id) === id);
    const page = paginate(templates, query, this.collectionPath(request));
    sendJson(request.res, 200, {
      ...page,
      results: page.results.map(t =>
        templateShape(t, this.deps.engine.lastJob(t.id), this.ctx(request)),
      ),
    });
  }

  private getTemplate(
    request: AwxRequest,
    kind: TemplateKind,
    id: string,
  ): void {
    const template = this.deps.templates.byId(kind, Number(id));
    if (!template) throw new HttpError(404, detail(NOT_FOUND));
    sendJson(
      request.res,
      200,
      templateShape(
        template,
        this.deps.engine.lastJob(template.id),
        this.ctx(request),
      ),
    );
  }

  private launchInfo(
    request: AwxRequest,
    kind: TemplateKind,
    id: string,
  ): void {
    const template = this.deps.templates.byId(kind, Number(id));
    if (!template) throw new HttpError(404, detail(NOT_FOUND));
    sendJson(request.res, 200, launchInfoShape(template));
  }

  private async launch(
    request: AwxRequest,
    kind: TemplateKind,
    id: string,
  ): Promise<void> {
    const fault = this.deps.faults.takeLaunchFailure();
    if (fault) throw injectedError(fault);
    const template = this.deps.templates.byId(kind, Number(id));
    if (!template) throw new HttpError(404, detail(NOT_FOUND));
    const body = await readJsonObject(request.req);
    const { extraVars, ignoredFields } = acceptLaunch(body, template);
    const job = this.deps.engine.launch(template, extraVars);
    const shape = jobShape(job, this.ctx(request));
    // AWX puts the job id under `job` / `workflow_job` first, then `ignored_fields`, then the job itself.
    const idField =
      job.type === 'job' ? { job: job.id } : { workflow_job: job.id };
    sendJson(
      request.res,
      201,
      { ...idField, ignored_fields: ignoredFields, ...shape },
      { Location: shape.url },
    );
  }

  private findJob(type: JobType, id: string): SimJob {
    const job = this.deps.engine.get(Number(id), type);
    if (!job) throw new HttpError(404, detail(NOT_FOUND));
    return job;
  }

  private getJob(request: AwxRequest, type: JobType, id: string): void {
    const fault = this.deps.faults.takeStatusPollFailure();
    if (fault) throw injectedError(fault);
    sendJson(
      request.res,
      200,
      jobShape(this.findJob(type, id), this.ctx(request)),
    );
  }

  private canCancel(request: AwxRequest, type: JobType, id: string): void {
    const job = this.findJob(type, id);
    sendJson(request.res, 200, { can_cancel: !isFinished(job) });
  }

  private cancel(request: AwxRequest, type: JobType, id: string): void {
    const job = this.findJob(type, id);
    if (this.deps.engine.cancel(job) === 'alreadyFinished') {
      sendJson(request.res, 405, detail('Method "POST" not allowed.'), {
        Allow: 'GET, POST, HEAD, OPTIONS',
      });
      return;
    }
    sendEmpty(request.res, 202);
  }

  private stdout(request: AwxRequest, id: string): void {
    const job = this.findJob('job', id);
    const ansi = this.deps.engine.stdout(job);
    const text = stripAnsi(ansi);
    const format = request.query.get('format') ?? 'txt';
    switch (format) {
      case 'json': {
        const lines = text === '' ? 0 : text.split('\n').length - 1;
        sendJson(request.res, 200, {
          range: { start: 0, end: lines, absolute_end: lines },
          content: text,
        });
        return;
      }
      case 'txt':
        sendText(request.res, 200, text);
        return;
      case 'ansi':
        sendText(request.res, 200, ansi);
        return;
      case 'txt_download':
      case 'ansi_download':
        sendText(request.res, 200, format === 'ansi_download' ? ansi : text, {
          'Content-Disposition': `attachment; filename="job_${job.id}.txt"`,
        });
        return;
      default:
        throw new HttpError(
          404,
          detail(`Not found. Unsupported stdout format "${format}".`),
        );
    }
  }

  private jobEvents(request: AwxRequest, id: string): void {
    const job = this.findJob('job', id);
    const { query } = request;
    let events = job.events;
    const counterGt = query.get('counter__gt');
    if (counterGt !== null)
      events = events.filter(
        e => e.counter > parseInteger('counter__gt', counterGt),
      );
    const eventName = query.get('event');
    if (eventName !== null) events = events.filter(e => e.event === eventName);
    const orderBy = query.get('order_by');
    if (orderBy === '-counter' || orderBy === '-id')
      events = [...events].reverse();
    const page = paginate(events, query, this.collectionPath(request));
    sendJson(request.res, 200, {
      ...page,
      results: page.results.map(e => jobEventShape(e, job, this.ctx(request))),
    });
  }

  private listJobs(request: AwxRequest, type: JobType | undefined): void {
    const fault = this.deps.faults.takeStatusPollFailure();
    if (fault) throw injectedError(fault);
    const jobs = queryJobs(this.deps.engine.visible(), request.query, type);
    const page = paginate(jobs, request.query, this.collectionPath(request));
    sendJson(request.res, 200, {
      ...page,
      results: page.results.map(j => jobListItem(j, this.ctx(request))),
    });
  }

  private collectionPath(request: AwxRequest): string {
    return `${request.apiBase}/${request.subpath}`;
  }
}

function parseInteger(field: string, raw: string): number {
  const value = Number(raw.trim());
  if (!Number.isInteger(value)) {
    throw new HttpError(
      400,
      detail(
        `Field '${field.replace(/__.*$/, '')}' expected a number but got '${raw}'.`,
      ),
    );
  }
  return value;
}

/** Injected failures look like what a gateway or a struggling controller would send. */
export function injectedError(fault: InjectedFailure): HttpError {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined)
    headers['Retry-After'] = String(fault.retryAfterSeconds);
  return new HttpError(fault.status, detail(injectedMessage(fault)), headers);
}

function injectedMessage(fault: InjectedFailure): string {
  if (fault.status === 429) {
    return `Request was throttled. Expected available in ${fault.retryAfterSeconds ?? 1} seconds.`;
  }
  if (fault.status === 503)
    return 'Service temporarily unavailable, try again later.';
  if (fault.status >= 500) return 'A server error has occurred.';
  return `Simulated HTTP ${fault.status}.`;
}
