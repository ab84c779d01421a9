import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PrinterColumn, ResourceType } from './resources';
import { CompiledSchema, Schema } from './schema';
import { isPlainObject } from './types';

/** The repository's deploy/ directory, where the CRD, RBAC and sample manifests live. */
// eslint-disable-next-line no-restricted-syntax -- a test-only package, only ever run from the repository checkout
export const DEPLOY_DIR = resolve(__dirname, '..', '..', '..', 'deploy');

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: Record<string, never> };
  additionalPrinterColumns?: PrinterColumn[];
}

/** The parts of an apiextensions.k8s.io/v1 CustomResourceDefinition the server serves from. */
export interface CustomResourceDefinition {
  apiVersion: string;
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      plural: string;
      singular?: string;
      kind: string;
      listKind?: string;
      shortNames?: string[];
    };
    versions: CrdVersion[];
  };
}

export interface LoadCrdOptions {
  /** Install under another API group, as `deploy/render.sh GROUP` does. */
  group?: string;
}

/** Parses the CustomResourceDefinitions in a YAML text (other documents are ignored). */
export function parseCrds(
  text: string,
  options: LoadCrdOptions = {},
): CustomResourceDefinition[] {
  return parseAllDocuments(text)
    .map(doc => doc.toJS() as unknown)
    .filter(
      (obj): obj is CustomResourceDefinition =>
        isPlainObject(obj) && obj.kind === 'CustomResourceDefinition',
    )
    .map(crd => {
      if (!options.group) return crd;
      return {
        ...crd,
        metadata: {
          ...crd.metadata,
          name: `${crd.spec.names.plural}.${options.group}`,
        },
        spec: { ...crd.spec, group: options.group },
      };
    });
}

export function loadCrdFile(
  path: string,
  options: LoadCrdOptions = {},
): CustomResourceDefinition[] {
  return parseCrds(readFileSync(path, 'utf8'), options);
}

/** The repository's ComputeInstance CRD (deploy/crd.yaml), optionally under another group. */
export function computeInstanceCrd(
  options: LoadCrdOptions = {},
): CustomResourceDefinition {
  const [crd] = loadCrdFile(resolve(DEPLOY_DIR, 'crd.yaml'), options);
  if (!crd)
    throw new Error(`No CustomResourceDefinition in ${DEPLOY_DIR}/crd.yaml`);
  return crd;
}

/** One resource type per served version; the CRD's rules are compiled here, so a bad rule fails now. */
export function resourceTypesOf(crd: CustomResourceDefinition): ResourceType[] {
  const { group, names, scope } = crd.spec;
  if (crd.metadata.name !== `${names.plural}.${group}`) {
    throw new Error(
      `CustomResourceDefinition ${crd.metadata.name}: metadata.name must be ${names.plural}.${group}`,
    );
  }
  return crd.spec.versions
    .filter(v => v.served)
    .map(version => {
      const root = version.schema?.openAPIV3Schema;
      if (!root || root.type !== 'object') {
        throw new Error(
          `CustomResourceDefinition ${crd.metadata.name} ${version.name}: a structural openAPIV3Schema of type object is required`,
        );
      }
      return {
        group,
        version: version.name,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        shortNames: names.shortNames ?? [],
        namespaced: scope === 'Namespaced',
        statusSubresource: Boolean(version.subresources?.status),
        tracksGeneration: true,
        custom: true,
        schema: new CompiledSchema(root),
        printerColumns: version.additionalPrinterColumns ?? [
          {
            name: 'Age',
            type: 'date',
            jsonPath: '.metadata.creationTimestamp',
          },
        ],
        extraSelectableFields: () => ({}),
      };
    });
}
