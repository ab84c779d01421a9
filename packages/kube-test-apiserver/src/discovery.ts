import { ResourceType, apiVersionOf } from './resources';

const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** The resource types the server serves, and the discovery documents that describe them. */
export class Registry {
  private readonly types: ResourceType[] = [];

  add(type: ResourceType): void {
    const clash = this.find(type.group, type.version, type.plural);
    if (clash)
      throw new Error(
        `${type.plural}.${type.group}/${type.version} is already served`,
      );
    this.types.push(type);
  }

  find(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.types.find(
      t => t.group === group && t.version === version && t.plural === plural,
    );
  }

  groups(): Array<{ name: string; versions: string[] }> {
    const byGroup = new Map<string, string[]>();
    for (const t of this.types) {
      if (!t.group) continue;
      const versions = byGroup.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      byGroup.set(t.group, versions);
    }
    return [...byGroup].map(([name, versions]) => ({ name, versions }));
  }

  apiGroup(name: string) {
    const group = this.groups().find(g => g.name === name);
    if (!group) return undefined;
    const versions = group.versions.map(version => ({
      groupVersion: `${name}/${version}`,
      version,
    }));
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name,
      versions,
      preferredVersion: versions[0],
    };
  }

  apiGroupList() {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.groups().map(g => {
        const {
          kind: _kind,
          apiVersion: _apiVersion,
          ...rest
        } = this.apiGroup(g.name)!;
        return rest;
      }),
    };
  }

  apiResourceList(group: string, version: string) {
    const types = this.types.filter(
      t => t.group === group && t.version === version,
    );
    if (types.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: apiVersionOf({ group, version }),
      resources: types.flatMap(t => {
        const main = {
          name: t.plural,
          singularName: t.singular,
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: VERBS,
          ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
        };
        if (!t.statusSubresource) return [main];
        return [
          main,
          {
            name: `${t.plural}/status`,
            singularName: '',
            namespaced: t.namespaced,
            kind: t.kind,
            verbs: ['get', 'patch', 'update'],
          },
        ];
      }),
    };
  }
}
