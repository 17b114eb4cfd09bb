import { describe, expect, it } from 'vitest';
import { isSignedWith, signedLinkQuery } from './signed-link.js';

const SECRET = 'q3Vx0+Zk/9mW2aLr5bYc8dTe1fGh4jKs7nPo6uQi=';
const PATH = '/signed/downloads/s~C3~A9ance~201/Seance_pleniere.mp4';

describe(signedLinkQuery.name, () => {
  // The expected signatures were printed the way nginx's documentation makes one:
  //   echo -n '1796731199/signed/downloads/s~C3~A9ance~201/Seance_pleniere.mp4 q3Vx…' | openssl md5 -binary | openssl base64 | tr +/ -_ | tr -d =
  it("signs expires, the path and the secret as nginx's secure_link_md5 does, expiring the second before the expiry's", () => {
    // 2026-12-08T12:00:00Z is 1796731200: nginx may send the file through second 1796731199, and not after.
    expect(signedLinkQuery(PATH, new Date('2026-12-08T12:00:00.000Z'), SECRET)).toBe(
      'expires=1796731199&md5=-bcwa4VI4aHGkpDtleF7jQ',
    );
    // Within the second: nginx's whole second would run past the instant, so the one before.
    expect(signedLinkQuery(PATH, new Date('2026-12-08T12:00:00.999Z'), SECRET)).toBe(
      'expires=1796731199&md5=-bcwa4VI4aHGkpDtleF7jQ',
    );
    expect(signedLinkQuery(PATH, new Date('2026-12-08T12:00:01.000Z'), SECRET)).toMatch(/^expires=1796731200&/);
  });

  it('signs the decoded path, which is what nginx compares ($uri)', () => {
    expect(signedLinkQuery('/signed/downloads/a%20b/c.mp4', new Date('2026-12-08T12:00:00Z'), SECRET)).toBe(
      'expires=1796731199&md5=L3UneMX4QnwtVy-vKskINg',
    );
  });

  it('gives another signature for another secret, path or expiry', () => {
    const at = new Date('2026-12-08T12:00:00Z');
    const signature = (query: string) => new URLSearchParams(query).get('md5');
    const base = signature(signedLinkQuery(PATH, at, SECRET));
    expect(signature(signedLinkQuery(PATH, at, `${SECRET}x`))).not.toBe(base);
    expect(signature(signedLinkQuery(`${PATH}4`, at, SECRET))).not.toBe(base);
    expect(signature(signedLinkQuery(PATH, new Date(at.getTime() + 1000), SECRET))).not.toBe(base);
  });
});

describe(isSignedWith.name, () => {
  const at = new Date('2026-12-08T12:00:00Z');
  const { expires, md5 } = Object.fromEntries(new URLSearchParams(signedLinkQuery(PATH, at, SECRET)));

  it('accepts the signature signedLinkQuery made, whatever its second', () => {
    expect(isSignedWith(PATH, expires, md5, SECRET)).toBe(true);
    const past = Object.fromEntries(
      new URLSearchParams(signedLinkQuery(PATH, new Date('2020-01-01T00:00:00Z'), SECRET)),
    );
    expect(isSignedWith(PATH, past.expires, past.md5, SECRET)).toBe(true);
  });

  it('refuses another secret, path or second, and parameters that are missing, repeated or malformed', () => {
    expect(isSignedWith(PATH, expires, md5, `${SECRET}x`)).toBe(false);
    expect(isSignedWith(`${PATH}4`, expires, md5, SECRET)).toBe(false);
    expect(isSignedWith(PATH, String(Number(expires) + 1), md5, SECRET)).toBe(false);
    expect(isSignedWith(PATH, expires, md5.slice(1), SECRET)).toBe(false);
    expect(isSignedWith(PATH, undefined, md5, SECRET)).toBe(false);
    expect(isSignedWith(PATH, expires, undefined, SECRET)).toBe(false);
    expect(isSignedWith(PATH, [expires, expires], md5, SECRET)).toBe(false);
    expect(isSignedWith(PATH, `${expires}.0`, md5, SECRET)).toBe(false);
    expect(isSignedWith('/signed/downloads/a%zz/b.mp4', expires, md5, SECRET)).toBe(false);
  });
});
