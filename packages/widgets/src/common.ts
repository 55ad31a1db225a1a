import type { EnginePreference } from '@glassbox/store';
import { MAX_PROMPT_LENGTH } from '@glassbox/store';
import type { Attributes, Problems } from './attributes';
import { parseChoice, parseModel, parsePrompt } from './attributes';
import { DEFAULT_WIDGET_MODEL, widgetModelNames, widgetModels } from './modelCache';

export interface CommonAttrs {
  model: string;
  engine: EnginePreference;
  prompt: string;
}

/** model, engine and prompt: the attributes every model widget reads. Problems go into `problems`. */
export function commonAttrs(attrs: Attributes, problems: Problems): CommonAttrs {
  const model = problems.take(parseModel(attrs.model, widgetModelNames(), DEFAULT_WIDGET_MODEL), DEFAULT_WIDGET_MODEL);
  const engine = problems.take(parseChoice<EnginePreference>('engine', attrs.engine, ['auto', 'cpu'], 'auto'), 'auto');
  const example = widgetModels().find((m) => m.id === model)?.examplePrompt ?? '';
  const prompt = problems.take(parsePrompt(attrs.prompt, example, MAX_PROMPT_LENGTH), '');
  return { model, engine, prompt };
}

/** The attributes every model widget observes. */
export const COMMON_ATTRIBUTES = ['model', 'engine', 'prompt'] as const;
