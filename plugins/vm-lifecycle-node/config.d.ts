export interface Config {
  vmLifecycle?: {
    /** Links to a VM and its jobs, used by the catalog entities and the notifications. */
    links?: {
      /** Path the portal mounts the vm-lifecycle pages at. Default /virtual-machines. */
      portalPath?: string;
      /**
       * A job's page in AAP's UI, `{id}` replaced by the job id, e.g.
       * https://aap.example.com/execution/jobs/playbook/{id}/output. Absent: links go to the VM's
       * portal page, which shows the job output.
       */
      aapJob?: string;
    };
  };
}
