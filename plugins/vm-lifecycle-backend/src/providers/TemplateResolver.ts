import { AapClient } from '../aap/AapClient';
import { TemplateNotFoundError } from '../aap/errors';
import { AapTemplate } from '../aap/types';

/**
 * Template name -> {id, kind}, looked up first as a job template, then as a workflow job template.
 * Found templates are cached for the life of the process (a lookup per launch would double the
 * launch traffic); misses are not cached, so creating the template later is picked up. Callers
 * `forget` an entry when AAP says the id is gone (launch 404) or the template is misconfigured,
 * so the next attempt sees the fixed or recreated template.
 */
export class TemplateResolver {
  private readonly cache = new Map<string, AapTemplate>();
  /** Concurrent reconciles of many instances share one lookup instead of each sending their own. */
  private readonly inFlight = new Map<string, Promise<AapTemplate>>();

  constructor(private readonly client: AapClient) {}

  async resolve(name: string): Promise<AapTemplate> {
    const cached = this.cache.get(name);
    if (cached) return cached;
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.lookup(name).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    return pending;
  }

  forget(name: string): void {
    this.cache.delete(name);
  }

  private async lookup(name: string): Promise<AapTemplate> {
    const template =
      (await this.client.findJobTemplate(name)) ??
      (await this.client.findWorkflowJobTemplate(name));
    if (!template) throw new TemplateNotFoundError(name);
    this.cache.set(name, template);
    return template;
  }
}
