import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadShippedModel, SHIPPED_MODELS } from '@glassbox/models';
import { checkLectureForModel, parseLecture, STEP_KINDS, slideTitle } from '@glassbox/store';
import { describe, expect, it } from 'vitest';

const lecturesDir = fileURLToPath(new URL('../../lectures/', import.meta.url));

describe('the lectures shipped with the app', () => {
  const files = readdirSync(lecturesDir).filter((f) => f.endsWith('.json'));

  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(`${file} is valid for its model, has notes on every slide and walks every step of the pass`, async () => {
      const result = parseLecture(readFileSync(`${lecturesDir}${file}`, 'utf8'));
      if (!result.ok) throw new Error(result.errors.join('\n'));
      const lecture = result.lecture;
      const m = await loadShippedModel(lecture.model);
      const errs = checkLectureForModel(lecture, {
        id: lecture.model,
        ...m.config,
        examplePrompt: SHIPPED_MODELS.find((x) => x.name === lecture.model)?.examplePrompt ?? '',
        countTokens: (p) => m.tokenizer.tokenize(p).length,
      });
      expect(errs).toEqual([]);
      for (const s of lecture.slides) expect(s.note.length, slideTitle(s)).toBeGreaterThan(80);
      if (file === 'forward-pass.json') {
        const steps = new Set(lecture.slides.map((s) => s.step));
        for (const k of STEP_KINDS) expect(steps.has(k), k).toBe(true);
        const phases = new Set(lecture.slides.map((s) => s.train));
        for (const p of ['loss', 'gradient', 'backward', 'update']) expect(phases.has(p as never), p).toBe(true);
      }
    });
  }
});
