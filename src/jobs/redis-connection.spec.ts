import { describe, expect, it } from 'vitest';
import { redactedRedisUrl, settlesWithin } from './redis-connection.js';

describe('redactedRedisUrl', () => {
  it('drops the user name and password, keeps the rest', () => {
    expect(redactedRedisUrl('redis://admin:s3cret@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
    expect(redactedRedisUrl('rediss://:s3cret@cache.internal')).toBe('rediss://cache.internal');
    expect(redactedRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('settlesWithin', () => {
  it('is true for a promise that settles in time, rejected or not, and false for one still pending', async () => {
    expect(await settlesWithin(Promise.resolve(), 50)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('gone')), 50)).toBe(true);
    expect(await settlesWithin(new Promise(() => undefined), 50)).toBe(false);
  });
});
