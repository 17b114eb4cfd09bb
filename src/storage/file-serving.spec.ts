import { describe, expect, it } from 'vitest';
import {
  ACCEL_ANSWER_CACHE_SECONDS,
  accelExpires,
  accelRedirectUri,
  lastSecondBefore,
  publishedSegments,
} from './file-serving.js';

describe('file serving', () => {
  it('accelRedirectUri percent-encodes each segment under the prefix', () => {
    expect(accelRedirectUri('/internal', ['downloads', 's~C3~A9ance', 'a.mp4'])).toBe(
      '/internal/downloads/s~C3~A9ance/a.mp4',
    );
    expect(accelRedirectUri('/internal', ['static', 'org', 'slides 1 – #final?.html'])).toBe(
      '/internal/static/org/slides%201%20%E2%80%93%20%23final%3F.html',
    );
  });

  it('publishedSegments decodes a /static path, and refuses dotfiles, folders and odd segments', () => {
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

  it('lastSecondBefore is the last whole second that ends by the instant', () => {
    expect(lastSecondBefore(1_700_000_000_000)).toBe(1_699_999_999);
    expect(lastSecondBefore(1_700_000_000_999)).toBe(1_699_999_999);
    expect(lastSecondBefore(1_700_000_001_000)).toBe(1_700_000_000);
  });

  describe('accelExpires', () => {
    const now = 1_700_000_000_500; // half a second into the second 1_700_000_000

    it('lets nginx keep an answer for ACCEL_ANSWER_CACHE_SECONDS when nothing expires sooner', () => {
      expect(accelExpires(now)).toBe(`@${1_700_000_000 + ACCEL_ANSWER_CACHE_SECONDS}`);
      expect(accelExpires(now, 3_600_000)).toBe(`@${1_700_000_000 + ACCEL_ANSWER_CACHE_SECONDS}`);
    });

    it("ends with the last whole second before the expiry's, since nginx keeps an entry through the second it names", () => {
      // Expires at …003.9: nginx may use it through …002, so up to …003.0.
      expect(accelExpires(now, 3400)).toBe('@1700000002');
      // Expires exactly at …003.0: the same.
      expect(accelExpires(now, 2500)).toBe('@1700000002');
      // Expires at …001.0: through …000, the second already running.
      expect(accelExpires(now, 500)).toBe('@1700000000');
    });

    it('says not to keep it when less than that is left, or it has expired', () => {
      expect(accelExpires(now, 499)).toBe('0');
      expect(accelExpires(now, 0)).toBe('0');
      expect(accelExpires(now, -1000)).toBe('0');
    });
  });
});
