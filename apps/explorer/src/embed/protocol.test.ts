import { describe, expect, it } from 'vitest';
import { heightMessage, normalizeOrigin, parseEmbedUrl, readParentMessage, viewFromPath } from './protocol';

const ATTRS = ['prompt', 'layer', 'head'];

describe('embed route', () => {
  it('takes the view from /embed/<view> with or without .html', () => {
    expect(viewFromPath('/embed/attention')).toBe('attention');
    expect(viewFromPath('/app/embed/next-token.html')).toBe('next-token');
    expect(viewFromPath('/embed/evil')).toBeNull();
  });

  it('turns known URL parameters into attribute strings and lists parent origins', () => {
    const c = parseEmbedUrl(
      'attention',
      '?prompt=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&layer=0&onload=x&parent=https://a.edu,http://localhost:8080&parent=https://a.edu/path',
      ATTRS,
    );
    expect(c.tag).toBe('glassbox-attention');
    expect(c.attributes).toEqual([
      ['prompt', '<img src=x onerror=alert(1)>'],
      ['layer', '0'],
    ]);
    expect(c.parents).toEqual(['https://a.edu', 'http://localhost:8080']);
    expect(c.ignored).toHaveLength(2);
  });

  it('accepts only bare http(s) origins', () => {
    expect(normalizeOrigin('https://a.edu/')).toBe('https://a.edu');
    expect(normalizeOrigin('javascript:alert(1)')).toBeNull();
    expect(normalizeOrigin('*')).toBeNull();
    expect(normalizeOrigin('https://a.edu/x')).toBeNull();
  });

  it('reads only well-formed parent messages, keeping string values of known attributes', () => {
    expect(readParentMessage({ type: 'glassbox:request-height' }, ATTRS)).toEqual({ type: 'request-height' });
    expect(
      readParentMessage({ type: 'glassbox:set', attributes: { prompt: 'dog is', head: 1, onclick: 'x' } }, ATTRS),
    ).toEqual({ type: 'set', attributes: [['prompt', 'dog is']] });
    for (const bad of [null, 'glassbox:set', 42, { type: 'eval', code: '1' }, { type: 'glassbox:set' }]) {
      expect(readParentMessage(bad, ATTRS)).toBeNull();
    }
    expect(heightMessage(401.2)).toEqual({ type: 'glassbox:height', height: 402 });
  });
});
