import type { FloatArray, SampleStep, SamplingSettings } from '@glassbox/compute';
import { createRng, sampleStep } from '@glassbox/compute';

/** The sampling settings as the app holds them: null means the filter is off. */
export interface Sampling {
  temperature: number;
  topK: number | null;
  topP: number | null;
  seed: number;
}

export const DEFAULT_SAMPLING: Readonly<Sampling> = { temperature: 1, topK: null, topP: null, seed: 0 };

/** The slider's range. The engine accepts any finite temperature >= 0; beyond 3 the distributions of small models are nearly flat. */
export const TEMPERATURE_MAX = 3;
export const SEED_MAX = 0xffffffff;

export type SamplingField = keyof Sampling;
export type SamplingErrors = Partial<Record<SamplingField, string>>;

/** A clear message for an invalid value of one field, or null when it is valid. */
export function samplingError(field: SamplingField, value: unknown): string | null {
  const n = value as number;
  const isNum = typeof value === 'number' && !Number.isNaN(value);
  switch (field) {
    case 'temperature':
      if (!isNum || !Number.isFinite(n) || n < 0 || n > TEMPERATURE_MAX) {
        return `Temperature must be a number from 0 (greedy) to ${TEMPERATURE_MAX}.`;
      }
      return null;
    case 'topK':
      if (value === null) return null;
      if (!isNum || !Number.isInteger(n) || n < 1)
        return 'Top-k must be a whole number ≥ 1 (or empty to switch it off).';
      return null;
    case 'topP':
      if (value === null) return null;
      if (!isNum || !(n > 0 && n <= 1))
        return 'Top-p must be a number above 0 and at most 1 (or empty to switch it off).';
      return null;
    case 'seed':
      if (!isNum || !Number.isInteger(n) || n < 0 || n > SEED_MAX) {
        return `Seed must be a whole number from 0 to ${SEED_MAX}.`;
      }
      return null;
  }
}

/** Parse a text field ('' → null for the optional filters) into a number, or NaN when it is not one. */
export function parseSamplingInput(field: SamplingField, text: string): number | null {
  const t = text.trim();
  if (t === '' && (field === 'topK' || field === 'topP')) return null;
  if (t === '') return Number.NaN;
  return Number(t);
}

export function toSamplingSettings(s: Sampling): SamplingSettings {
  return {
    temperature: s.temperature,
    topK: s.topK ?? undefined,
    topP: s.topP ?? undefined,
    seed: s.seed,
  };
}

/**
 * The random stream for the prediction of the token at `position` (= the number of tokens so far). Mixing the
 * position into the seed makes "append and run again" draw a fresh number each time while staying reproducible from
 * the URL alone (seed + prompt), with no hidden generation counter.
 */
export function predictionSeed(seed: number, position: number): number {
  return (seed + Math.imul(position, 0x9e3779b9)) >>> 0;
}

/** Temperature → top-k → top-p → draw over one row of logits, with every intermediate (compute's sampleStep). */
export function samplePrediction(logitsRow: FloatArray, s: Sampling, position: number): SampleStep {
  return sampleStep(logitsRow, toSamplingSettings(s), createRng(predictionSeed(s.seed, position)));
}
