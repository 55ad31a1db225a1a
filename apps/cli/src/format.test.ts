import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, lineColumn, plural } from './format';

describe('format', () => {
  it('groups digits the way published parameter counts are written', () => {
    expect(formatCount(124439808)).toBe('124,439,808');
    expect(plural(1, 'token')).toBe('1 token');
    expect(plural(2000, 'token')).toBe('2,000 tokens');
  });

  it('prints file sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(10000)).toBe('9.77 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.00 MiB');
  });

  it('finds the 1-based line and column of an offset, counting a surrogate pair as one column', () => {
    const text = 'ab\ncd😀ef\n\nx';
    expect(lineColumn(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn(text, 2)).toEqual({ line: 1, column: 3 }); // the newline ends line 1
    expect(lineColumn(text, 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumn(text, text.indexOf('e'))).toEqual({ line: 2, column: 4 });
    expect(lineColumn(text, text.indexOf('x'))).toEqual({ line: 4, column: 1 });
  });
});
