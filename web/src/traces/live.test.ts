import { describe, expect, it } from 'vitest';
import { mergeNewest } from './live';

describe('mergeNewest', () => {
  it('puts new traces on top, updates shown ones in place and removes none', () => {
    const shown = [{ id: 'c', v: 1 }, { id: 'b', v: 1 }, { id: 'a', v: 1 }];
    const fresh = [{ id: 'e', v: 1 }, { id: 'd', v: 1 }, { id: 'c', v: 2 }];
    expect(mergeNewest(shown, fresh)).toEqual({
      list: [{ id: 'e', v: 1 }, { id: 'd', v: 1 }, { id: 'c', v: 2 }, { id: 'b', v: 1 }, { id: 'a', v: 1 }],
      added: 2,
    });
  });
  it('adds nothing when nothing is new', () => {
    const shown = [{ id: 'a' }];
    expect(mergeNewest(shown, [{ id: 'a' }]).added).toBe(0);
  });
});
