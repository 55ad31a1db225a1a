import { describe, expect, it } from 'vitest';
import { UsageError } from './errors';
import { intOption, numberOption, parseOptions } from './options';

const table = { temperature: { type: 'string' as const }, quiet: { type: 'boolean' as const } };

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseOptions', () => {
  it('takes a negative number as a value instead of calling it ambiguous', () => {
    expect(parseOptions('generate', table, ['--temperature', '-1']).temperature).toBe('-1');
    expect(parseOptions('generate', table, ['--temperature', '-.5']).temperature).toBe('-.5');
  });

  it('rewords parseArgs errors into one line that names the flag', () => {
    expect(usageMessage(() => parseOptions('generate', table, ['--frob']))).toBe(
      'unknown option --frob (see glassbox generate --help)',
    );
    expect(usageMessage(() => parseOptions('generate', table, ['--temperature']))).toMatch(
      /^--temperature needs a value/,
    );
    expect(usageMessage(() => parseOptions('generate', table, ['stray']))).toMatch(/^unexpected argument "stray"/);
    expect(usageMessage(() => parseOptions('generate', table, ['--quiet=yes']))).toMatch(/^--quiet takes no value/);
  });

  it('always understands --help and -h', () => {
    expect(parseOptions('info', {}, ['-h']).help).toBe(true);
  });
});

describe('number flags', () => {
  it('refuses text that is not a number, and leaves range checks to the engine', () => {
    expect(usageMessage(() => numberOption({ temperature: 'hot' }, 'temperature'))).toBe(
      '--temperature must be a number, got "hot"',
    );
    expect(numberOption({ temperature: '-3' }, 'temperature')).toBe(-3);
    expect(numberOption({ temperature: 'NaN' }, 'temperature')).toBeNaN();
    expect(numberOption({}, 'temperature')).toBeUndefined();
  });

  it('checks integers and their lower bound', () => {
    expect(intOption({ steps: '10' }, 'steps', 1)).toBe(10);
    for (const bad of ['0', '1.5', '', 'ten']) {
      expect(usageMessage(() => intOption({ steps: bad }, 'steps', 1))).toMatch(/^--steps must be an integer >= 1/);
    }
  });
});
