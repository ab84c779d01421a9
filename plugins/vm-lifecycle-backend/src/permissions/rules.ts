import {
  createConditionExports,
  createPermissionResourceRef,
  makeCreatePermissionRule,
} from '@backstage/plugin-permission-node';
import {
  ApiGroupNames,
  apiGroupNames,
  ComputeInstance,
  VM_INSTANCE_RESOURCE_TYPE,
} from '@vm-selfservice/plugin-vm-lifecycle-common';
import { z } from 'zod';
import { InstanceQuery } from '../store/types';

export type { InstanceQuery };

export const vmInstanceResourceRef = createPermissionResourceRef<
  ComputeInstance,
  InstanceQuery
>().with({
  pluginId: 'vm-lifecycle',
  resourceType: VM_INSTANCE_RESOURCE_TYPE,
});

const createInstanceRule = makeCreatePermissionRule<
  ComputeInstance,
  InstanceQuery,
  typeof VM_INSTANCE_RESOURCE_TYPE
>();

/** The rules a policy can use to answer instance permissions conditionally. */
export function createInstanceRules(names: ApiGroupNames) {
  const isRequester = createInstanceRule({
    name: 'IS_REQUESTER',
    description: 'Allow the user who requested the instance',
    resourceType: VM_INSTANCE_RESOURCE_TYPE,
    paramsSchema: z.object({
      userEntityRef: z.string().describe('The user entity ref of the caller'),
    }),
    apply: (instance, { userEntityRef }) =>
      instance.metadata.annotations[names.requestedByAnnotation] ===
      userEntityRef,
    toQuery: ({ userEntityRef }) => ({
      property: 'requestedBy',
      values: [userEntityRef],
    }),
  });
  const isOwner = createInstanceRule({
    name: 'IS_OWNER',
    description:
      'Allow members of the entity that owns the instance (its owner annotation is one of the claims)',
    resourceType: VM_INSTANCE_RESOURCE_TYPE,
    paramsSchema: z.object({
      claims: z
        .array(z.string())
        .describe('The ownership entity refs of the caller (user and groups)'),
    }),
    apply: (instance, { claims }) => {
      const owner = instance.metadata.annotations[names.ownerAnnotation];
      return owner !== undefined && claims.includes(owner);
    },
    toQuery: ({ claims }) => ({ property: 'owner', values: claims }),
  });
  return { isRequester, isOwner };
}

/** Condition factories for permission policies (the rule names do not depend on the API group). */
export const {
  conditions: vmInstanceConditions,
  createConditionalDecision: createVmInstanceConditionalDecision,
} = createConditionExports({
  resourceRef: vmInstanceResourceRef,
  rules: createInstanceRules(apiGroupNames()),
});
