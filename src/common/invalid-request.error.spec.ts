import { describe, expect, it } from 'vitest';
import { checkWithin, InvalidRequestError } from './invalid-request.error.js';

describe(checkWithin.name, () => {
  it('answers what the check answers', () => {
    expect(checkWithin('field', () => 42)).toBe(42);
  });

  it('puts where the input was checked in front of an InvalidRequestError', () => {
    class TooLong extends InvalidRequestError {}
    const thrown = catchError(() =>
      checkWithin('downloadClips[1].filter', () => {
        throw new TooLong('is too long');
      }),
    );
    expect(thrown).toBeInstanceOf(InvalidRequestError);
    expect((thrown as Error).message).toBe('downloadClips[1].filter: is too long');
  });

  it('lets any other error through as it is', () => {
    const failure = new TypeError('a bug');
    expect(
      catchError(() =>
        checkWithin('field', () => {
          throw failure;
        }),
      ),
    ).toBe(failure);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}
