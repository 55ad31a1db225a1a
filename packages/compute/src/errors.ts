/**
 * Every error the engine raises on bad input is a GlassboxError with a stable `code`, so the app can show a
 * helpful message (and tests can assert on the kind of failure) without parsing English.
 */
export type GlassboxErrorCode =
  | 'bad-config'
  | 'bad-ids'
  | 'bad-shape'
  | 'bad-sampling'
  | 'bad-checkpoint'
  | 'bad-hook'
  | 'training-diverged'
  | 'cancelled'
  | 'device-limit'
  | 'device-lost'
  | 'unsupported';

export class GlassboxError extends Error {
  readonly code: GlassboxErrorCode;
  constructor(code: GlassboxErrorCode, message: string) {
    super(message);
    this.name = 'GlassboxError';
    this.code = code;
  }
}

export function fail(code: GlassboxErrorCode, message: string): never {
  throw new GlassboxError(code, message);
}
