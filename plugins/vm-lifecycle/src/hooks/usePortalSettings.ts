import { useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';
import { PortalSettings } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { vmLifecycleApiRef } from '../api';

/** GET /settings, once per mount; undefined while loading or when the backend cannot say. */
export function usePortalSettings(): PortalSettings | undefined {
  const api = useApi(vmLifecycleApiRef);
  return useAsync(() => api.getSettings(), [api]).value;
}
