import request from 'supertest';

/** Registers an event through the API and returns its JSON. */
export async function registerEvent(
  baseUrl: string,
  overrides: Partial<{ title: string; sourceUrl: string; startTime: string | null; duration: number | null }> = {},
): Promise<{ id: string; title: string; sourceUrl: string; startTime: string | null; duration: number | null }> {
  const response = await request(baseUrl)
    .post('/event')
    .send({
      title: 'Plenary session',
      sourceUrl: 'plenary/session.mp4',
      startTime: '2018-10-10T14:00:00.000Z',
      duration: 7200,
      ...overrides,
    })
    .expect(201);
  return response.body;
}

/** A valid create-download body for one clip of `eventId`; override any field. */
export function downloadRequest(eventId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    emailAddress: 'viewer@example.com',
    downloadClips: [
      { eventId, start: '2018-10-10T14:30:31.081Z', end: '2018-10-10T15:30:20.361Z', filter: '', isMasterClip: true },
    ],
    ...overrides,
  };
}

/** Creates a download through the API and returns its JSON. */
export async function createDownload(baseUrl: string, eventId: string, overrides: Record<string, unknown> = {}) {
  const response = await request(baseUrl).post('/voddownload').send(downloadRequest(eventId, overrides)).expect(201);
  return response.body as Record<string, any>;
}
