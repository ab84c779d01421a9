import { createApiRef } from '@backstage/core-plugin-api';

export interface BackendHealth {
  status: string;
}

/** The portal's client of the vm-lifecycle backend REST API. */
export interface VmLifecycleApi {
  getHealth(): Promise<BackendHealth>;
}

export const vmLifecycleApiRef = createApiRef<VmLifecycleApi>({
  id: 'plugin.vm-lifecycle.service',
});
