import { describe, expect, it } from 'vitest';
import { settlesWithin } from './redis-connection.js';

describe('settlesWithin', () => {
  it('is true for a promise that settles in time, rejected or not, and false for one still pending', async () => {
    expect(await settlesWithin(Promise.resolve(), 50)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('gone')), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => undefined), 50)).toBe(false);
  });
});
