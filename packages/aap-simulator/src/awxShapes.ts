import { iso } from './isoTime';
import type { JobEvent, SimJob } from './jobs';
import { PLAYBOOKS } from './playbooks';
import type { SimTemplate } from './templates';

/**
 * JSON shapes of the AWX v2 API for the objects the simulator serves. Field names and types follow
 * AWX's serializers so a client written against a real controller parses these unchanged; fields the
 * simulator has no meaning for carry AWX's usual defaults.
 */

/** Where links point: the AWX base path including any mount prefix, e.g. `/api/controller/v2`. */
export interface ShapeContext {
  apiBase: string;
}

export interface AwxPage<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

const ORGANIZATION = { id: 1, name: 'Default', description: '' };
const INVENTORY = {
  id: 1,
  name: 'osac-simulated',
  kind: '',
  has_active_failures: false,
};
const PROJECT = {
  id: 6,
  name: 'osac-playbooks',
  description: '',
  status: 'successful',
  scm_type: 'git',
};
const LAUNCHED_BY_ID = 1;

function launchedBy(ctx: ShapeContext) {
  return {
    id: LAUNCHED_BY_ID,
    name: 'admin',
    type: 'user',
    url: `${ctx.apiBase}/users/${LAUNCHED_BY_ID}/`,
  };
}

export function templateShape(
  template: SimTemplate,
  lastJob: SimJob | undefined,
  ctx: ShapeContext,
) {
  const common = {
    id: template.id,
    created: template.created,
    modified: template.created,
    name: template.name,
    description: `Simulated ${template.action} template`,
    last_job_run: lastJob ? iso(lastJob.finished) : null,
    last_job_failed: lastJob ? lastJob.failed : false,
    next_job_run: null,
    status: lastJob ? lastJob.status : 'never updated',
    organization: ORGANIZATION.id,
    extra_vars: '',
    survey_enabled: false,
    allow_simultaneous: true,
    ask_variables_on_launch: template.askVariablesOnLaunch,
    ask_inventory_on_launch: false,
    ask_limit_on_launch: false,
    ask_labels_on_launch: false,
    ask_tags_on_launch: false,
    ask_skip_tags_on_launch: false,
    webhook_service: '',
    webhook_credential: null,
  };
  const summary = {
    organization: ORGANIZATION,
    last_job: lastJob
      ? {
          id: lastJob.id,
          name: lastJob.template.name,
          status: lastJob.status,
          failed: lastJob.failed,
        }
      : undefined,
    user_capabilities: {
      edit: true,
      delete: true,
      start: true,
      schedule: true,
      copy: true,
    },
  };
  if (template.kind === 'workflow') {
    const url = `${ctx.apiBase}/workflow_job_templates/${template.id}/`;
    return {
      ...common,
      type: 'workflow_job_template',
      url,
      related: {
        launch: `${url}launch/`,
        workflow_jobs: `${url}workflow_jobs/`,
        workflow_nodes: `${url}workflow_nodes/`,
        organization: `${ctx.apiBase}/organizations/${ORGANIZATION.id}/`,
      },
      summary_fields: summary,
      inventory: null,
      limit: null,
      scm_branch: null,
      ask_scm_branch_on_launch: false,
    };
  }
  const url = `${ctx.apiBase}/job_templates/${template.id}/`;
  return {
    ...common,
    type: 'job_template',
    url,
    related: {
      launch: `${url}launch/`,
      jobs: `${url}jobs/`,
      inventory: `${ctx.apiBase}/inventories/${INVENTORY.id}/`,
      project: `${ctx.apiBase}/projects/${PROJECT.id}/`,
      organization: `${ctx.apiBase}/organizations/${ORGANIZATION.id}/`,
    },
    summary_fields: { ...summary, inventory: INVENTORY, project: PROJECT },
    job_type: 'run',
    inventory: INVENTORY.id,
    project: PROJECT.id,
    playbook: playbookFile(template),
    scm_branch: '',
    forks: 0,
    limit: '',
    verbosity: 0,
    job_tags: '',
    skip_tags: '',
    timeout: 0,
    become_enabled: false,
    diff_mode: false,
    host_config_key: '',
    job_slice_count: 1,
    execution_environment: null,
  };
}

/** `GET .../launch/`: what the template would prompt for. */
export function launchInfoShape(template: SimTemplate) {
  return {
    can_start_without_user_input: true,
    passwords_needed_to_start: [],
    ask_variables_on_launch: template.askVariablesOnLaunch,
    ask_inventory_on_launch: false,
    ask_limit_on_launch: false,
    survey_enabled: false,
    variables_needed_to_start: [],
    credential_needed_to_start: false,
    inventory_needed_to_start: false,
    node_templates_missing: [],
    node_prompts_rejected: [],
    defaults: { extra_vars: '' },
    ...(template.kind === 'workflow'
      ? {
          workflow_job_template_data: {
            name: template.name,
            id: template.id,
            description: '',
          },
        }
      : {
          job_template_data: {
            name: template.name,
            id: template.id,
            description: '',
          },
        }),
  };
}

function playbookFile(template: SimTemplate): string {
  return PLAYBOOKS[template.action].playbook;
}

function elapsedSeconds(job: SimJob): number {
  if (job.started === null || job.finished === null) return 0;
  return Math.round((job.finished - job.started) / 10) / 100;
}

/** Fields every unified job carries, in list and detail views alike. */
function unifiedJobCore(job: SimJob, ctx: ShapeContext) {
  const collection = job.type === 'job' ? 'jobs' : 'workflow_jobs';
  const url = `${ctx.apiBase}/${collection}/${job.id}/`;
  return {
    id: job.id,
    type: job.type,
    url,
    created: iso(job.created),
    modified: iso(job.modified),
    name: job.template.name,
    description: '',
    unified_job_template: job.template.id,
    launch_type: 'manual',
    status: job.status,
    failed: job.failed,
    started: iso(job.started),
    finished: iso(job.finished),
    canceled_on: iso(job.canceledOn),
    elapsed: elapsedSeconds(job),
    job_explanation: job.jobExplanation,
    launched_by: launchedBy(ctx),
    result_traceback: job.resultTraceback,
  };
}

/** `GET jobs/{id}/` and `GET workflow_jobs/{id}/` (also the body of a 201 launch answer). */
export function jobShape(job: SimJob, ctx: ShapeContext) {
  const core = unifiedJobCore(job, ctx);
  const templateRef = {
    id: job.template.id,
    name: job.template.name,
    description: '',
  };
  const common = {
    ...core,
    extra_vars: JSON.stringify(job.extraVars),
    allow_simultaneous: true,
    webhook_service: '',
    webhook_credential: null,
    webhook_guid: '',
  };
  if (job.type === 'workflow_job') {
    return {
      ...common,
      related: {
        workflow_job_template: `${ctx.apiBase}/workflow_job_templates/${job.template.id}/`,
        unified_job_template: `${ctx.apiBase}/workflow_job_templates/${job.template.id}/`,
        workflow_nodes: `${core.url}workflow_nodes/`,
        cancel: `${core.url}cancel/`,
        relaunch: `${core.url}relaunch/`,
      },
      summary_fields: {
        organization: ORGANIZATION,
        workflow_job_template: templateRef,
        unified_job_template: {
          ...templateRef,
          unified_job_type: 'workflow_job',
        },
        created_by: { id: LAUNCHED_BY_ID, username: 'admin' },
        user_capabilities: { delete: true, start: true },
        labels: { count: 0, results: [] },
      },
      workflow_job_template: job.template.id,
      job_template: null,
      is_sliced_job: false,
      inventory: null,
      limit: null,
      scm_branch: null,
      work_unit_id: null,
    };
  }
  const finished = job.finished !== null;
  return {
    ...common,
    related: {
      job_template: `${ctx.apiBase}/job_templates/${job.template.id}/`,
      unified_job_template: `${ctx.apiBase}/job_templates/${job.template.id}/`,
      inventory: `${ctx.apiBase}/inventories/${INVENTORY.id}/`,
      project: `${ctx.apiBase}/projects/${PROJECT.id}/`,
      stdout: `${core.url}stdout/`,
      job_events: `${core.url}job_events/`,
      cancel: `${core.url}cancel/`,
      relaunch: `${core.url}relaunch/`,
    },
    summary_fields: {
      organization: ORGANIZATION,
      inventory: INVENTORY,
      project: PROJECT,
      job_template: templateRef,
      unified_job_template: { ...templateRef, unified_job_type: 'job' },
      execution_environment: {
        id: 1,
        name: 'Default execution environment',
        image: 'quay.io/ansible/awx-ee:latest',
      },
      instance_group: { id: 2, name: 'default', is_container_group: true },
      created_by: { id: LAUNCHED_BY_ID, username: 'admin' },
      user_capabilities: { delete: true, start: true },
      labels: { count: 0, results: [] },
      credentials: [],
    },
    job_template: job.template.id,
    job_type: 'run',
    inventory: INVENTORY.id,
    project: PROJECT.id,
    playbook: playbookFile(job.template),
    scm_branch: '',
    scm_revision: '',
    forks: 0,
    limit: '',
    verbosity: 0,
    job_tags: '',
    skip_tags: '',
    force_handlers: false,
    start_at_task: '',
    timeout: 0,
    use_fact_cache: false,
    organization: ORGANIZATION.id,
    execution_environment: 1,
    execution_node: job.started !== null ? 'awx-sim-task-0' : '',
    controller_node: job.started !== null ? 'awx-sim-task-0' : '',
    work_unit_id: job.started !== null ? `sim${job.id}` : null,
    passwords_needed_to_start: [],
    artifacts: {},
    instance_group: 2,
    diff_mode: false,
    job_slice_number: 0,
    job_slice_count: 1,
    event_processing_finished: finished,
    playbook_counts: {
      play_count: job.started !== null ? 1 : 0,
      task_count: countTasks(job),
    },
    host_status_counts: finished ? hostStatusCounts(job) : null,
    custom_virtualenv: null,
  };
}

/**
 * One row of `GET jobs/`, `workflow_jobs/` and `unified_jobs/`. AWX renders each row with the job's
 * own list serializer (JobListSerializer, WorkflowJobListSerializer): the detail fields, extra_vars
 * included, minus what UnifiedJobListSerializer strips. Above all `result_traceback` is never in a
 * list, so a client that wants a failed job's traceback must read the job itself.
 */
export function jobListItem(job: SimJob, ctx: ShapeContext) {
  const {
    result_traceback: _traceback,
    event_processing_finished: _events,
    ...row
  } = jobShape(job, ctx) as ReturnType<typeof jobShape> & {
    event_processing_finished?: boolean;
  };
  return row;
}

function countTasks(job: SimJob): number {
  return job.events.filter(e => e.event === 'playbook_on_task_start').length;
}

function hostStatusCounts(job: SimJob): Record<string, number> {
  if (job.events.some(e => e.event === 'runner_on_failed'))
    return { failures: 1 };
  if (job.status === 'successful') {
    return job.events.some(e => e.changed) ? { changed: 1 } : { ok: 1 };
  }
  return {};
}

const EVENT_DISPLAY: Record<string, string> = {
  playbook_on_start: 'Playbook Started',
  playbook_on_play_start: 'Play Started',
  playbook_on_task_start: 'Task Started',
  runner_on_start: 'Host Started',
  runner_on_ok: 'Host OK',
  runner_on_failed: 'Host Failed',
  playbook_on_no_hosts_remaining: 'No More Hosts Remaining',
  playbook_on_stats: 'Playbook Complete',
  verbose: 'Verbose',
};

const EVENT_LEVEL: Record<string, number> = {
  playbook_on_start: 0,
  playbook_on_stats: 0,
  verbose: 0,
  playbook_on_play_start: 1,
  playbook_on_no_hosts_remaining: 1,
  playbook_on_task_start: 2,
};

/** One row of `GET jobs/{id}/job_events/`. */
export function jobEventShape(event: JobEvent, job: SimJob, ctx: ShapeContext) {
  const created = iso(event.created);
  return {
    id: event.id,
    type: 'job_event',
    url: `${ctx.apiBase}/job_events/${event.id}/`,
    related: {
      job: `${ctx.apiBase}/jobs/${job.id}/`,
      children: `${ctx.apiBase}/job_events/${event.id}/children/`,
    },
    summary_fields: {
      job: {
        id: job.id,
        name: job.template.name,
        status: job.status,
        failed: job.failed,
        elapsed: elapsedSeconds(job),
        type: 'job',
        job_template_id: job.template.id,
        job_template_name: job.template.name,
      },
      role: {},
    },
    created,
    modified: created,
    job: job.id,
    event: event.event,
    counter: event.counter,
    event_display: EVENT_DISPLAY[event.event] ?? event.event,
    event_data: {
      playbook: job.playbook.playbook,
      play: event.play,
      task: event.task || undefined,
      task_action: event.taskAction || undefined,
      host: event.host || undefined,
      res: event.res,
    },
    event_level: EVENT_LEVEL[event.event] ?? 3,
    failed: event.failed,
    changed: event.changed,
    uuid: event.uuid,
    parent_uuid: event.parentUuid,
    host: null,
    host_name: event.host,
    playbook: job.playbook.playbook,
    play: event.play,
    task: event.task,
    role: '',
    stdout: event.stdout,
    start_line: event.startLine,
    end_line: event.endLine,
    verbosity: 0,
  };
}
