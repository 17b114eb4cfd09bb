import { describe, expect, it } from 'vitest';
import {
  answerDigestChallenge,
  digestChallenge,
  expectedDigestResponse,
  NonceCounts,
  NonceIssuer,
  nonceSecretFor,
  parseDigestAuthorization,
} from './digest-auth.js';

describe(expectedDigestResponse.name, () => {
  it('computes the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const credentials = parseDigestAuthorization(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    expect(expectedDigestResponse(credentials, 'Circle Of Life', 'GET')).toBe(credentials.response);
  });
});

describe(parseDigestAuthorization.name, () => {
  it('reads quoted values with escapes and unquoted tokens', () => {
    expect(
      parseDigestAuthorization(
        'Digest username="a\\"b", realm="r", nonce="n", uri="/x?y=1,2", response="f", qop=auth, nc=00000002',
      ),
    ).toMatchObject({
      username: 'a"b',
      uri: '/x?y=1,2',
      qop: 'auth',
      nc: '00000002',
    });
  });

  it.each([
    undefined,
    'Bearer abc',
    'Digest username="a"',
    'Digest ===',
    'Digest username="a", realm="r", nonce="n", uri="/", response',
  ])('answers null for %j', (header) => {
    expect(parseDigestAuthorization(header)).toBeNull();
  });
});

describe(NonceIssuer.name, () => {
  it('accepts its own nonces, calls old ones stale and forged ones invalid', () => {
    const issuer = new NonceIssuer(1000);
    const nonce = issuer.issue(10_000);
    expect(issuer.check(nonce, 10_500)).toBe('valid');
    expect(issuer.check(nonce, 11_001)).toBe('stale');
    // Up to 5 s from the future: another process's clock may be a little ahead.
    expect(issuer.check(nonce, 6_000)).toBe('valid');
    expect(issuer.check(nonce, 4_000)).toBe('invalid');
    expect(new NonceIssuer(1000).check(nonce, 10_500)).toBe('invalid');
    expect(issuer.check(Buffer.from('10000:forged').toString('base64url'), 10_500)).toBe('invalid');
    expect(issuer.check('%%%', 10_500)).toBe('invalid');
  });

  it('shares nonces between issuers whose secret comes from the same password', () => {
    const nonce = new NonceIssuer(1000, nonceSecretFor('opencast-password')).issue(10_000);
    expect(new NonceIssuer(1000, nonceSecretFor('opencast-password')).check(nonce, 10_500)).toBe('valid');
    expect(new NonceIssuer(1000, nonceSecretFor('other')).check(nonce, 10_500)).toBe('invalid');
  });
});

describe(NonceCounts.name, () => {
  it('accepts each nonce only with a count above its last one', () => {
    const counts = new NonceCounts(10);
    expect(counts.accept('a', 1, 1)).toBe(true);
    expect(counts.accept('a', 1, 1)).toBe(false);
    expect(counts.accept('a', 1, 3)).toBe(true);
    expect(counts.accept('a', 1, 2)).toBe(false);
    expect(counts.accept('b', 1, 1)).toBe(true);
  });

  it('stays bounded, and refuses forgotten nonces and any issued no later than them', () => {
    const counts = new NonceCounts(2);
    const nonce = (issuedAt: number) => Buffer.from(`${issuedAt}:sig${issuedAt}`).toString('base64url');
    expect(counts.accept(nonce(100), 100, 1)).toBe(true);
    expect(counts.accept(nonce(200), 200, 1)).toBe(true);
    expect(counts.accept(nonce(300), 300, 1)).toBe(true);
    // nonce(100) was forgotten: replaying it, or using another nonce as old, is refused.
    expect(counts.accept(nonce(100), 100, 2)).toBe(false);
    expect(counts.accept(nonce(50), 50, 1)).toBe(false);
    expect(counts.accept(nonce(400), 400, 1)).toBe(true);
  });
});

describe(answerDigestChallenge.name, () => {
  it('answers a challenge with credentials the server side accepts', () => {
    const header = answerDigestChallenge(
      digestChallenge('Opencast', 'abc'),
      { username: 'u', password: 'p' },
      'POST',
      '/distribution/download',
    )!;
    const credentials = parseDigestAuthorization(header)!;
    expect(credentials).toMatchObject({
      username: 'u',
      realm: 'Opencast',
      nonce: 'abc',
      uri: '/distribution/download',
      qop: 'auth',
    });
    expect(credentials.response).toBe(expectedDigestResponse(credentials, 'p', 'POST'));
  });

  it('does not answer a challenge without qop=auth', () => {
    expect(
      answerDigestChallenge('Digest realm="r", nonce="n"', { username: 'u', password: 'p' }, 'GET', '/'),
    ).toBeNull();
  });
});
