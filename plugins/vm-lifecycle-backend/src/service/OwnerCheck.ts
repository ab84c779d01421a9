import {
  BackstageCredentials,
  BackstageUserPrincipal,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_HAS_MEMBER,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { vmAdminPermission } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { OwnerNotAllowedError } from './errors';

export type OwnerCheck = (
  ownerRef: string,
  field: string,
  credentials: BackstageCredentials<BackstageUserPrincipal>,
) => Promise<void>;

export interface CatalogOwnerCheckOptions {
  catalog: Pick<CatalogService, 'getEntityByRef'>;
  userInfo: UserInfoService;
  permissions: PermissionsService;
}

/**
 * The owner of a new VM must be a Group or User in the catalog, and the caller must be that user
 * or a member of that group, unless the caller holds `vm-lifecycle.admin`. The catalog is asked
 * with the caller's credentials, so an entity the caller may not see counts as missing.
 */
export function createCatalogOwnerCheck(
  options: CatalogOwnerCheckOptions,
): OwnerCheck {
  const { catalog, userInfo, permissions } = options;
  return async (ownerRef, field, credentials) => {
    const entity = await catalog.getEntityByRef(ownerRef, { credentials });
    if (!entity) {
      throw new OwnerNotAllowedError(
        field,
        `there is no Group or User ${ownerRef} in the catalog`,
      );
    }
    const kind = entity.kind.toLocaleLowerCase('en-US');
    if (kind !== 'group' && kind !== 'user') {
      throw new OwnerNotAllowedError(
        field,
        `${ownerRef} is a ${entity.kind}; the owner of a VM must be a Group or User`,
      );
    }
    const [decision] = await permissions.authorize(
      [{ permission: vmAdminPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return;

    const caller = credentials.principal.userEntityRef;
    if (isCallerOrMember(entity, caller)) return;
    const { ownershipEntityRefs } = await userInfo.getUserInfo(credentials);
    if (ownershipEntityRefs.includes(stringifyEntityRef(entity))) return;
    throw new OwnerNotAllowedError(
      field,
      kind === 'user'
        ? `${ownerRef} is another user; a VM can be given only to yourself or a group you are a member of`
        : `${caller} is not a member of ${ownerRef}; a VM can be given only to a group you are a member of`,
    );
  };
}

function isCallerOrMember(entity: Entity, caller: string): boolean {
  if (stringifyEntityRef(entity) === caller) return true;
  return (entity.relations ?? []).some(
    r => r.type === RELATION_HAS_MEMBER && r.targetRef === caller,
  );
}
