/** AWX renders every timestamp as ISO 8601 UTC; null stays null (e.g. `finished` of a running job). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
