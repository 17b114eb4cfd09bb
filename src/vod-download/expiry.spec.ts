import { describe, expect, it } from 'vitest';
import { expiredBefore, expiresAt, hasExpired } from './expiry.js';

const completed = new Date('2026-01-05T10:00:00.000Z');

describe('download expiry', () => {
  it('expires a download the given number of days after it completed', () => {
    expect(expiresAt(completed, 7)).toEqual(new Date('2026-01-12T10:00:00.000Z'));
    expect(expiresAt(completed, 0)).toEqual(completed);
  });

  it('counts whole days of 24 hours, also across a daylight-saving change', () => {
    expect(expiresAt(new Date('2026-03-28T12:00:00.000Z'), 2)).toEqual(new Date('2026-03-30T12:00:00.000Z'));
  });

  it('has expired from the expiry instant on, not a millisecond before', () => {
    const expiry = expiresAt(completed, 7);
    expect(hasExpired(completed, 7, new Date(expiry.getTime() - 1))).toBe(false);
    expect(hasExpired(completed, 7, expiry)).toBe(true);
    expect(hasExpired(completed, 0, completed)).toBe(true);
  });

  it('puts the deletion cutoff the expiry period plus the buffer before now', () => {
    const now = new Date('2026-02-01T00:00:00.000Z');
    expect(expiredBefore(now, 7)).toEqual(new Date('2026-01-25T00:00:00.000Z'));
    expect(expiredBefore(now, 7, 3)).toEqual(new Date('2026-01-22T00:00:00.000Z'));
  });

  it('agrees with itself: a download completed just before the cutoff has expired', () => {
    const now = new Date('2026-02-01T00:00:00.000Z');
    const justBefore = new Date(expiredBefore(now, 7).getTime() - 1);
    expect(hasExpired(justBefore, 7, now)).toBe(true);
  });
});
