import { describe, expect, it } from 'vitest';
import { hidePassword } from './hide-password.js';

describe(hidePassword.name, () => {
  it("hides a Redis URL's password too", () => {
    expect(hidePassword('redis://admin:s3cret@cache.internal:6380/2')).toBe('redis://admin:***@cache.internal:6380/2');
  });

  it('hides the password and keeps the rest', () => {
    expect(hidePassword('postgres://app:s3cr%40t@db:5432/media?schema=x')).toBe(
      'postgres://app:***@db:5432/media?schema=x',
    );
  });

  it('keeps anything that is not a URL as it is', () => {
    expect(hidePassword('mysql:/broken')).toBe('mysql:/broken');
    expect(hidePassword('not a url')).toBe('not a url');
  });

  it('keeps a URL without a password as it is', () => {
    expect(hidePassword('postgres://root@127.0.0.1:5432/test')).toBe('postgres://root@127.0.0.1:5432/test');
  });
});
