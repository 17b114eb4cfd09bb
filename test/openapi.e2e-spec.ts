import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/app.setup.js';
import { sortKeys } from './helpers/sort-keys.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

describe('OpenAPI document', () => {
  let testApp: TestApp;
  let document: Awaited<ReturnType<typeof buildOpenApiDocument>>;
  beforeAll(async () => {
    testApp = await createTestApp();
    document = await buildOpenApiDocument(testApp.app);
  });
  afterAll(() => testApp.close());

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', async () => {
    await expect(`${JSON.stringify(sortKeys(document), null, 2)}\n`).toMatchFileSnapshot('../openapi.json');
  });

  it('was generated from the current DTOs (src/metadata.ts is fresh)', () => {
    expect(() => execFileSync('node', ['scripts/generate-metadata.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 60_000);

  it('describes every operation with a summary, a unique operationId and its responses', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { operationId: string; summary?: string; responses: object }>).map(
        ([method, operation]) => ({ path, method, ...operation }),
      ),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const operation of operations) {
      expect(operation.summary, `${operation.method} ${operation.path}`).toBeTruthy();
      expect(Object.keys(operation.responses).length, `${operation.method} ${operation.path}`).toBeGreaterThan(0);
    }
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('marks the routes open without a key, and only those, with security: []', () => {
    const open = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { security?: unknown[] }>)
        .filter(([, operation]) => operation.security !== undefined)
        .map(([method, operation]) => ({ operation: `${method} ${path}`, security: operation.security })),
    );
    expect(open.sort((a, b) => a.operation.localeCompare(b.operation))).toEqual(
      [
        'get /downloads/{folder}/{fileName}',
        'get /health',
        'get /health/live',
        'get /health/ready',
        'get /signed/downloads/{folder}/{fileName}',
        'get /static/{organization}/{channelId}/{mediaPackageId}/{elementId}/{fileName}',
      ].map((operation) => ({ operation, security: [] })),
    );
    expect(document.security).toEqual([{ bearer: [] }, { 'X-API-Key': [] }]);
  });
});
