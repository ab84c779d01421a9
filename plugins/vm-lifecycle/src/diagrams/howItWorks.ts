/**
 * The flows of DOMAIN.md section 6, as mermaid text for the "How it works" tab. Static: they
 * describe the design, not one instance.
 */
export interface ExplainedDiagram {
  id: string;
  title: string;
  /** What a first-time user should take away, shown next to the picture (and read by screen readers). */
  summary: string;
  text: string;
  /** The provider whose flow this is; undefined for diagrams that hold for both. */
  provider?: 'aap' | 'eda';
}

const componentView = `flowchart LR
  subgraph portal["Backstage portal"]
    ui["Virtual Machines plugin<br/>(this page)"]
  end
  subgraph backend["vm-lifecycle backend plugin"]
    router["REST router"]
    controller["Controller<br/>(reconcile loop)"]
    tracker["Job tracker"]
    providers["Providers<br/>AAP Direct or EDA"]
    adapter["Store adapter"]
  end
  store[("Database or<br/>Kubernetes API")]
  subgraph aap["Ansible Automation Platform"]
    templates["Job templates"]
    eda["EDA event streams"]
  end
  infra["Infrastructure<br/>(hypervisor or KubeVirt)"]
  ui -- "request, delete, restart" --> router
  router --> adapter
  adapter --> store
  controller --> adapter
  controller --> tracker
  controller --> providers
  tracker -- "poll job status" --> templates
  providers -- "launch, cancel" --> templates
  providers -- "post events" --> eda
  eda --> templates
  templates -- "playbooks" --> infra
  controller -. "signals: instance changed" .-> ui
`;

const aapDirectCreate = `sequenceDiagram
  autonumber
  actor dev as Developer (portal)
  participant ctl as Backend controller
  participant store as Store
  participant aap as AAP
  participant infra as Infrastructure
  dev->>ctl: Request VM (name, template, size)
  ctl->>store: record the instance
  ctl-->>dev: 201 Created, phase Starting
  ctl->>store: add finalizer, hash the spec
  ctl->>aap: look up the create job template
  ctl->>aap: launch it with the instance as extra vars
  aap-->>ctl: 201 with the job id
  ctl->>store: persist the job id (Pending) first
  loop every few seconds
    ctl->>aap: job status?
    aap-->>ctl: pending, then running
  end
  aap->>infra: playbook creates the VM
  aap-->>ctl: successful
  ctl->>store: job Succeeded, phase Running
  ctl-->>dev: live update: Running
`;

const aapDirectDeleteDuringProvisioning = `sequenceDiagram
  autonumber
  actor dev as Developer (portal)
  participant ctl as Backend controller
  participant store as Store
  participant aap as AAP
  participant infra as Infrastructure
  Note over aap,infra: the provision job is still running
  dev->>ctl: Delete
  ctl->>store: set deletionTimestamp (the finalizer keeps the record)
  ctl-->>dev: phase Deleting
  ctl->>aap: live state of the provision job?
  aap-->>ctl: running
  ctl->>aap: cancel the provision job
  aap-->>ctl: 202 cancel started
  loop until canceled
    ctl->>aap: job status?
  end
  Note over aap,infra: a task already sent may still create the VM
  aap-->>ctl: canceled
  ctl->>aap: launch the deprovision job, exactly once
  aap-->>ctl: 201 with the job id
  ctl->>store: persist the deprovision job id
  loop until successful
    ctl->>aap: job status?
  end
  aap->>infra: playbook removes the VM
  aap-->>ctl: successful
  ctl->>store: remove the finalizer
  store-->>ctl: record gone
  ctl-->>dev: live update: deleted
`;

const edaDelete = `sequenceDiagram
  autonumber
  actor dev as Developer (portal)
  participant ctl as Backend controller
  participant store as Store
  participant eda as EDA event stream
  participant aap as AAP job template
  participant infra as Infrastructure
  dev->>ctl: Delete
  ctl->>store: set deletionTimestamp
  ctl->>eda: post the instance to the deprovision event stream
  eda->>aap: the rulebook launches the delete job template
  aap->>infra: playbook removes the VM
  aap->>store: playbook removes its aap finalizer
  ctl->>store: sees the aap finalizer gone
  ctl->>store: deprovision Succeeded, remove own finalizer
  store-->>ctl: record gone
  ctl-->>dev: live update: deleted
`;

export const HOW_IT_WORKS_DIAGRAMS: readonly ExplainedDiagram[] = [
  {
    id: 'components',
    title: 'The pieces',
    summary:
      'You use this page. It talks to the vm-lifecycle backend, whose controller records every VM in a store and drives Ansible Automation Platform (AAP) job templates that create and remove VMs on the infrastructure. Every change comes back to this page as a live signal.',
    text: componentView,
  },
  {
    id: 'create',
    title: 'Requesting a VM (AAP Direct)',
    summary:
      'The portal records your request right away. The controller launches the create job template in AAP, saves the job id before anything else, and polls the job until it succeeds; then the VM is Running.',
    text: aapDirectCreate,
    provider: 'aap',
  },
  {
    id: 'delete-during-provisioning',
    title: 'Deleting a VM that is still being provisioned',
    summary:
      'You can delete at any time. If the provision job is still running, the controller cancels it first, waits until AAP reports it canceled, then runs exactly one deprovision job that removes whatever was already created. Only then does the record disappear, so nothing is left behind.',
    text: aapDirectDeleteDuringProvisioning,
    provider: 'aap',
  },
  {
    id: 'eda-delete',
    title: 'Deleting through Event-Driven Ansible (EDA)',
    summary:
      'With the EDA provider the controller does not launch jobs itself: it posts the instance to an event stream, a rulebook launches the delete job template, and the playbook removes its own finalizer when it is done. The controller watches for that and then removes its finalizer.',
    text: edaDelete,
    provider: 'eda',
  },
];
