import { answerDigestChallenge } from './digest-auth.js';

export interface DigestRequest {
  method: string;
  body?: URLSearchParams;
  headers?: Record<string, string>;
  user: { username: string; password: string };
  timeoutMs: number;
}

/**
 * A request as Opencast's trusted HTTP client sends it to another node: first without a body
 * and with `X-Requested-Auth: Digest` (so the node answers 401 with its challenge instead of
 * redirecting to a login page), then again with the body and the Digest credentials. A node that
 * answers the first without a challenge gets the request without credentials. Errors of the
 * network reject, as fetch does.
 */
export async function fetchWithDigest(url: URL, request: DigestRequest): Promise<Response> {
  const headers = { 'X-Requested-Auth': 'Digest', ...request.headers };
  const send = (authorization?: string) =>
    fetch(url, {
      method: request.method,
      headers: authorization ? { ...headers, Authorization: authorization } : headers,
      body: authorization !== undefined ? request.body : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  const challenge = await send();
  await challenge.body?.cancel();
  const authorization =
    challenge.status === 401
      ? answerDigestChallenge(
          challenge.headers.get('www-authenticate') ?? '',
          request.user,
          request.method,
          `${url.pathname}${url.search}`,
        )
      : null;
  return send(authorization ?? '');
}
