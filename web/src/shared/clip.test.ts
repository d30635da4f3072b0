import { describe, expect, it } from 'vitest';
import { clipText } from './clip';

describe('clipText', () => {
  it('leaves a short text whole', () => {
    expect(clipText('a\nb', 100, 10)).toEqual({ shown: 'a\nb', hidden: 0 });
  });
  it('clips at the character limit', () => {
    expect(clipText('abcdef', 4, 10)).toEqual({ shown: 'abcd', hidden: 2 });
  });
  it('clips at the line limit', () => {
    expect(clipText('1\n2\n3\n4', 100, 2)).toEqual({ shown: '1\n2', hidden: 4 });
  });
});
