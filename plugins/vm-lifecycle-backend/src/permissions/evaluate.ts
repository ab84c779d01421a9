import {
  AuthorizeResult,
  PermissionCondition,
  PermissionCriteria,
  PermissionRuleParams,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import { PermissionRule } from '@backstage/plugin-permission-node';
import { ComputeInstance } from '@vm-selfservice/plugin-vm-lifecycle-common';
import { InstanceQuery } from './rules';

type InstanceRule = PermissionRule<
  ComputeInstance,
  InstanceQuery,
  string,
  PermissionRuleParams
>;

function matches(
  criteria: PermissionCriteria<PermissionCondition>,
  instance: ComputeInstance,
  rules: Map<string, InstanceRule>,
): boolean {
  if ('allOf' in criteria)
    return criteria.allOf.every(c => matches(c, instance, rules));
  if ('anyOf' in criteria)
    return criteria.anyOf.some(c => matches(c, instance, rules));
  if ('not' in criteria) return !matches(criteria.not, instance, rules);
  const rule = rules.get(criteria.rule);
  if (!rule) throw new Error(`Unknown permission rule ${criteria.rule}`);
  return rule.apply(instance, (criteria.params ?? {}) as PermissionRuleParams);
}

/** Turns a (possibly conditional) decision into a predicate over instances. */
export function decisionPredicate(
  decision: PolicyDecision,
  rules: InstanceRule[],
): (instance: ComputeInstance) => boolean {
  if (decision.result !== AuthorizeResult.CONDITIONAL) {
    const allowed = decision.result === AuthorizeResult.ALLOW;
    return () => allowed;
  }
  const byName = new Map(rules.map(r => [r.name, r]));
  return instance => matches(decision.conditions, instance, byName);
}
