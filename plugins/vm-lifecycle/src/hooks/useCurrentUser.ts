import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';

/** The signed-in user's entity ref (user:default/guest), or undefined while it loads. */
export function useCurrentUserRef(): {
  userRef?: string;
  loading: boolean;
  error?: Error;
} {
  const identityApi = useApi(identityApiRef);
  const { value, loading, error } = useAsync(
    async () => (await identityApi.getBackstageIdentity()).userEntityRef,
    [identityApi],
  );
  return { userRef: value, loading, error };
}
