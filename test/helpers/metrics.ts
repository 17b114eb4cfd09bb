import request from 'supertest';
import { expect } from 'vitest';

/** The value of the first sample of `name` whose labels include `labels`, in Prometheus' text format; undefined when none. */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** GET /metrics of a process, with the METRICS_TOKEN it was given. */
export async function scrape(baseUrl: string, token: string): Promise<string> {
  const response = await request(baseUrl).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text;
}
