import { readFileSync } from 'node:fs';
import mime from 'mime-types';
import { describe, expect, it } from 'vitest';
import { renderNginxTypes } from './nginx-types.js';

const shipped = readFileSync('deploy/media-delivery-types.conf', 'utf8');

describe('renderNginxTypes', () => {
  it('is what deploy/media-delivery-types.conf holds (run `npm run deploy:types` after upgrading mime-types)', () => {
    expect(shipped).toBe(renderNginxTypes());
  });

  it("names each extension once, with the service's Content-Type, charset included", () => {
    const typeOf = new Map<string, string>();
    for (const [, type, extensions] of shipped.matchAll(/^ {4}"([^"]+)" ([^;]+);$/gm)) {
      for (const extension of extensions.split(' ')) {
        expect(typeOf.has(extension), extension).toBe(false);
        typeOf.set(extension, type);
      }
    }
    expect(typeOf.size).toBe(Object.keys(mime.types).length);
    expect(typeOf.get('html')).toBe('text/html; charset=utf-8');
    expect(typeOf.get('m3u8')).toBe('application/vnd.apple.mpegurl');
    expect(typeOf.get('ts')).toBe('video/mp2t');
    expect(typeOf.get('vtt')).toBe('text/vtt; charset=utf-8');
    expect(typeOf.get('mp4')).toBe('video/mp4');
  });
});
