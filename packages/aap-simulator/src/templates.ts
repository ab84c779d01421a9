import type {
  AapSimulatorOptions,
  TemplateAction,
  TemplateKind,
} from './types';

export interface SimTemplate {
  id: number;
  name: string;
  kind: TemplateKind;
  action: TemplateAction;
  askVariablesOnLaunch: boolean;
  created: string;
}

/**
 * The templates that exist in the simulated AAP. AWX gives job templates and workflow job templates
 * ids from one shared sequence (both are unified job templates), so an id never means two templates.
 * Ids start at 10 so a client that mixes up template ids and job ids gets a 404, not a lucky hit.
 */
export class TemplateCatalog {
  private readonly templates: SimTemplate[] = [];

  constructor(options: AapSimulatorOptions, created: string) {
    const prefix = options.templatePrefix ?? 'osac';
    const kind: TemplateKind = options.workflowTemplates ? 'workflow' : 'job';
    const definitions = [
      {
        name: `${prefix}-create-compute-instance`,
        kind,
        action: 'provision' as const,
      },
      {
        name: `${prefix}-delete-compute-instance`,
        kind,
        action: 'deprovision' as const,
      },
      ...(options.extraTemplates ?? []),
    ];
    let nextId = 10;
    for (const definition of definitions) {
      this.templates.push({
        id: nextId++,
        name: definition.name,
        kind: definition.kind,
        action: definition.action,
        askVariablesOnLaunch:
          'askVariablesOnLaunch' in definition
            ? definition.askVariablesOnLaunch !== false
            : true,
        created,
      });
    }
  }

  list(kind: TemplateKind): SimTemplate[] {
    return this.templates.filter(t => t.kind === kind);
  }

  byId(kind: TemplateKind, id: number): SimTemplate | undefined {
    return this.templates.find(t => t.kind === kind && t.id === id);
  }

  /** The template an EDA rulebook would launch for this action (the first one configured for it). */
  forAction(action: TemplateAction): SimTemplate | undefined {
    return this.templates.find(t => t.action === action);
  }
}
