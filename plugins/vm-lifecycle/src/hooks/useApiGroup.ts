import { configApiRef, useApi } from '@backstage/core-plugin-api';
import {
  apiGroupNames,
  ApiGroupNames,
  DEFAULT_API_GROUP,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/**
 * Annotation names for new requests. The backend's API group is only visible here if the app
 * config exposes vmLifecycle.apiGroup to the frontend; otherwise it is the default group.
 */
export function useApiGroupNames(): ApiGroupNames {
  const configApi = useApi(configApiRef);
  return apiGroupNames(
    configApi.getOptionalString('vmLifecycle.apiGroup') ?? DEFAULT_API_GROUP,
  );
}
