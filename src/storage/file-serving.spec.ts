import { describe, expect, it } from 'vitest';
import { accelRedirectUri, publishedSegments } from './file-serving.js';

describe('file serving', () => {
  it('accelRedirectUri percent-encodes each segment under the prefix', () => {
    expect(accelRedirectUri('/internal', ['downloads', 's~C3~A9ance', 'a.mp4'])).toBe(
      '/internal/downloads/s~C3~A9ance/a.mp4',
    );
    expect(accelRedirectUri('/internal', ['static', 'org', 'slides 1 – #final?.html'])).toBe(
      '/internal/static/org/slides%201%20%E2%80%93%20%23final%3F.html',
    );
  });

  it('publishedSegments decodes a /static path, and refuses what express.static would not serve', () => {
    expect(publishedSegments('/org/ch/mp/el/slides%201.html')).toEqual(['org', 'ch', 'mp', 'el', 'slides 1.html']);
    for (const path of [
      '/',
      '/org/ch/',
      '/org/.hidden/a.mp4',
      '/org/.a.mp4.tmp',
      '/org/%2E%2E/a',
      '/a%2Fb',
      '/a%5Cb',
      '/a//b',
      '/%E0%A4%A',
    ]) {
      expect(publishedSegments(path), path).toBeUndefined();
    }
  });
});
