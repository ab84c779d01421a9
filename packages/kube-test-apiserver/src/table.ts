import { PrinterColumn, ResourceType } from './resources';
import { KubeObject, isPlainObject } from './types';

/*
 * Server-side printing: `kubectl get` asks for a meta.k8s.io Table and prints the columns the server
 * chose, which for a custom resource are its additionalPrinterColumns. Serving them is what makes
 * the CRD's printer columns testable with a real kubectl.
 */

/** Reads a simple JSONPath (`.spec.cores`, `.status.interfaces[0].ipAddress`). */
export function readJsonPath(object: unknown, path: string): unknown {
  const tokens =
    path
      .replace(/^\{?\.?/, '')
      .replace(/\}$/, '')
      .match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let current: unknown = object;
  for (const token of tokens) {
    if (token.startsWith('[')) {
      const index = Number(token.slice(1, -1));
      current = Array.isArray(current) ? current[index] : undefined;
    } else {
      current = isPlainObject(current) ? current[token] : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/** Kubernetes' short age format: 45s, 12m, 5h, 3d. */
export function humanAge(from: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function cell(column: PrinterColumn, object: KubeObject): unknown {
  const value = readJsonPath(object, column.jsonPath);
  if (value === undefined || value === null) return null;
  if (column.type === 'date' && typeof value === 'string')
    return humanAge(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

function columnsOf(type: ResourceType): PrinterColumn[] {
  const columns = [...type.printerColumns];
  // Kubernetes adds Age when a CRD defines no column for the creation time.
  if (!columns.some(c => c.jsonPath === '.metadata.creationTimestamp')) {
    columns.push({
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
    });
  }
  return columns;
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
) {
  const columns = columnsOf(type);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: [
      {
        name: 'Name',
        type: 'string',
        format: 'name',
        description: 'Name must be unique within a namespace.',
        priority: 0,
      },
      ...columns.map(c => ({
        name: c.name,
        type: c.type === 'date' ? 'date' : c.type,
        format: c.format ?? '',
        description: c.description ?? '',
        priority: c.priority ?? 0,
      })),
    ],
    rows: objects.map(object => ({
      cells: [object.metadata.name, ...columns.map(c => cell(c, object))],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: object.metadata,
      },
    })),
  };
}

/** Whether the client asked for server-side printing (Accept: application/json;as=Table;...). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept.split(',')[0]);
}
