import { describe, expect, it } from 'vitest';
import { isNothingToReturn } from './no-content.interceptor.js';

describe(isNothingToReturn.name, () => {
  it('holds for null, undefined and an empty array', () => {
    expect([null, undefined, []].map(isNothingToReturn)).toEqual([true, true, true]);
  });

  it('does not hold for a value, however falsy, or a list with something in it', () => {
    expect([0, '', false, {}, [0]].map(isNothingToReturn)).toEqual([false, false, false, false, false]);
  });
});
