import { describe, expect, it } from 'vitest';
import { maskUrlPasswords } from './log-redaction.js';

describe(maskUrlPasswords.name, () => {
  it('masks the password of SMTP, PostgreSQL and Redis URLs and keeps user and host', () => {
    expect(maskUrlPasswords('Cannot reach smtp://mailer:p%40ss!w0rd@mail.example.com:587 (timeout)')).toBe(
      'Cannot reach smtp://mailer:[Redacted]@mail.example.com:587 (timeout)',
    );
    expect(maskUrlPasswords('postgres://app:hunter2@db:5432/media and rediss://:t0ken@cache:6380/0')).toBe(
      'postgres://app:[Redacted]@db:5432/media and rediss://:[Redacted]@cache:6380/0',
    );
  });

  it('leaves URLs without a password, and text that only looks similar, alone', () => {
    for (const text of [
      'smtp://mail.example.com:587',
      'redis://user@cache:6379',
      'http://127.0.0.1:3000/voddownload/1?at=12:30@x',
      'Sent "ready" (en) for download 42',
    ]) {
      expect(maskUrlPasswords(text)).toBe(text);
    }
  });
});
