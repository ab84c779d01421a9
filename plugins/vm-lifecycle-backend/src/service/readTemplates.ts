import { Config } from '@backstage/config';
import {
  formatValidationError,
  VmTemplate,
  vmTemplateSchema,
} from '@vm-selfservice/plugin-vm-lifecycle-common';

/** Reads vmLifecycle.templates; a bad template stops the backend with the field that is wrong. */
export function readTemplates(config: Config): VmTemplate[] {
  const entries = config.getOptionalConfigArray('vmLifecycle.templates') ?? [];
  const templates = entries.map((entry, i) => {
    const parsed = vmTemplateSchema.safeParse(entry.get());
    if (!parsed.success) {
      throw new Error(
        `Invalid config vmLifecycle.templates[${i}]: ${formatValidationError(parsed.error)}`,
      );
    }
    return parsed.data as VmTemplate;
  });
  const ids = new Set<string>();
  for (const t of templates) {
    if (ids.has(t.id))
      throw new Error(
        `Invalid config vmLifecycle.templates: duplicate id "${t.id}"`,
      );
    ids.add(t.id);
  }
  return templates;
}
