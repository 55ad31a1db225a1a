import { describe, expect, it } from 'vitest';
import {
  checkIndex,
  Problems,
  parseChoice,
  parseFlag,
  parseIndex,
  parseModel,
  parseNumber,
  parseOptionalNumber,
  parsePrompt,
} from './attributes';

describe('widget attributes', () => {
  it('an absent model is the default; an unknown one names the shipped models', () => {
    expect(parseModel(null, ['toy-world'], 'toy-world')).toEqual({ ok: true, value: 'toy-world' });
    const r = parseModel('gpt-5', ['toy-world'], 'toy-world');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('toy-world');
  });

  it('an absent prompt falls back; a blank one is an error, not a default', () => {
    expect(parsePrompt(null, 'cat sat', 100)).toEqual({ ok: true, value: 'cat sat' });
    expect(parsePrompt('  ', 'cat sat', 100).ok).toBe(false);
    expect(parsePrompt('x'.repeat(101), 'cat sat', 100).ok).toBe(false);
    expect(parsePrompt('<img src=x onerror=alert(1)>', '', 100)).toEqual({
      ok: true,
      value: '<img src=x onerror=alert(1)>',
    });
  });

  it('indices are whole numbers, range-checked against the model', () => {
    expect(parseIndex('layer', '2', 0)).toEqual({ ok: true, value: 2 });
    for (const bad of ['-1', '1.5', 'one', '', '1e3']) expect(parseIndex('layer', bad, 0).ok).toBe(false);
    expect(checkIndex('layer', 0, 1)).toBeNull();
    expect(checkIndex('layer', 5, 1)).toBe('layer=5 is out of range: this model has 1 layer (layer 0).');
    expect(checkIndex('head', 4, 4)).toContain('0–3');
  });

  it('numbers refuse NaN, empty and what the check refuses', () => {
    const check = (n: number) => (n >= 0 && n <= 3 ? null : 'must be from 0 to 3');
    expect(parseNumber('temperature', '0.7', 1, check)).toEqual({ ok: true, value: 0.7 });
    for (const bad of ['NaN', '', 'hot', 'Infinity', '4']) {
      const r = parseNumber('temperature', bad, 1, check);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/^temperature=/);
    }
    expect(parseOptionalNumber('topk', '', check)).toEqual({ ok: true, value: null });
  });

  it('choices, flags and collecting problems', () => {
    expect(parseChoice('kind', 'scores', ['pattern', 'scores'], 'pattern')).toEqual({ ok: true, value: 'scores' });
    expect(parseChoice('kind', 'x', ['pattern', 'scores'], 'pattern').ok).toBe(false);
    expect(parseFlag(null)).toBe(false);
    expect(parseFlag('')).toBe(true);
    expect(parseFlag('false')).toBe(false);
    const p = new Problems();
    expect(p.take(parseIndex('head', 'x', 0), 0)).toBe(0);
    p.add(null);
    expect(p.list).toHaveLength(1);
  });
});
