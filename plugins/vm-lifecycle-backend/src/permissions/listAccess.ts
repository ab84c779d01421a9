import {
  AuthorizeResult,
  PermissionRuleParams,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  createConditionTransformer,
  PermissionRule,
} from '@backstage/plugin-permission-node';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InstanceQuery, PermissionFilter } from '../store/types';

type InstanceRule = PermissionRule<
  ComputeInstance,
  InstanceQuery,
  string,
  PermissionRuleParams
>;

/** What a read decision leaves a caller allowed to list. */
export type ListAccess =
  | { kind: 'all' }
  | { kind: 'none' }
  /** Only what the filter (the rules' `toQuery`) matches; the store applies it in its query. */
  | { kind: 'filtered'; filter: PermissionFilter };

/**
 * Turns the read decision into list access: ALLOW and DENY need no filter (a DENY is answered
 * without asking the store at all), a conditional decision becomes a store filter through the
 * rules' `toQuery`, so a page is full however few rows the caller may see.
 */
export function listAccess(
  decision: PolicyDecision,
  rules: InstanceRule[],
): ListAccess {
  if (decision.result === AuthorizeResult.ALLOW) return { kind: 'all' };
  if (decision.result !== AuthorizeResult.CONDITIONAL) return { kind: 'none' };
  const byName = new Map(rules.map(rule => [rule.name, rule]));
  const transform = createConditionTransformer<InstanceQuery>({
    getRuleByName(name) {
      const rule = byName.get(name);
      if (!rule) throw new Error(`Unknown permission rule ${name}`);
      return rule;
    },
  });
  return { kind: 'filtered', filter: transform(decision.conditions) };
}
