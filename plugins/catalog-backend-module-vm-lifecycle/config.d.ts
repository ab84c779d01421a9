import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /** The vm-lifecycle entity provider (ComputeInstances as Resource entities). */
      vmLifecycle?: {
        /** When the full mutation runs. Default: 3 s after start, then every 30 minutes. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
