/**
 * What never reaches a log: request headers that carry credentials (API keys, Bearer tokens, Digest
 * responses, cookies), as pino `redact` paths; and passwords inside URLs (SMTP_URL, DATABASE_URL,
 * REDIS_URL, or a source URL), masked in every message and error text.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export const REDACTED = '[Redacted]';

/** `scheme://user:password@` (the password may hold anything but `@`, `/` and white space). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;

/** `text` with the password of every URL in it replaced, the user name and host kept for diagnosis. */
export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, `$1:${REDACTED}@`);
}
