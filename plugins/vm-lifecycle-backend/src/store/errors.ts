import { ConflictError } from '@backstage/errors';

/*
 * Why `name` is assigned through a cast: `ConflictError` declares `name` as the literal type
 * 'ConflictError', so a plain assignment does not compile. The distinct name is kept because callers
 * tell the two conflicts apart by it; `statusCode` keeps Backstage's error handler answering 409
 * (it maps by `statusCode` first and only falls back to the name).
 */

/** A write carried a resourceVersion that is no longer current: re-read and retry. */
export class StaleResourceVersionError extends ConflictError {
  readonly statusCode = 409;

  constructor(
    namespace: string,
    name: string,
    expected: string,
    actual: string,
  ) {
    super(
      `ComputeInstance ${namespace}/${name} was modified concurrently: the write was based on resourceVersion ${expected} but the current one is ${actual}`,
    );
    (this as { name: string }).name = 'StaleResourceVersionError';
  }
}

/** The name is already taken in the namespace. */
export class AlreadyExistsError extends ConflictError {
  readonly statusCode = 409;

  constructor(namespace: string, name: string) {
    super(`ComputeInstance ${namespace}/${name} already exists`);
    (this as { name: string }).name = 'AlreadyExistsError';
  }
}

export function isStaleResourceVersionError(
  e: unknown,
): e is StaleResourceVersionError {
  return e instanceof Error && e.name === 'StaleResourceVersionError';
}

export function isAlreadyExistsError(e: unknown): e is AlreadyExistsError {
  return e instanceof Error && e.name === 'AlreadyExistsError';
}
