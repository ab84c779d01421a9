/**
 * Resolves to `T`, and fails to compile when `T` is not assignable to `U`. Used to pin a schema's
 * inferred type to the hand-written wire type, so the two cannot drift apart unnoticed.
 */
export type AssertAssignable<T extends U, U> = T;
