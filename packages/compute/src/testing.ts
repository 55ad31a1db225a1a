/** Test helpers shared by the package's tests (not exported from the package). */
import { expect } from 'vitest';
import { GlassboxError } from './errors';

/** `fn` must throw a GlassboxError with this code and a message matching `message`. */
export function expectGlassboxError(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GlassboxError);
  expect((caught as GlassboxError).code).toBe(code);
  expect((caught as GlassboxError).message).toMatch(message);
}
