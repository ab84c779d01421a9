import { ResponseError } from '@backstage/errors';

/**
 * The message a person can act on. ResponseError's own message is only "Request failed with 409
 * Conflict"; the backend's explanation ("an instance named web-1 already exists") is its cause.
 */
export function errorMessage(error: unknown): string {
  if (ResponseError.is(error)) {
    const serverMessage = error.body?.error?.message ?? error.cause?.message;
    return serverMessage ? serverMessage : error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isNotFound(error: unknown): boolean {
  return ResponseError.is(error) && error.statusCode === 404;
}
