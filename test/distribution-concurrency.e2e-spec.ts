import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { childText, mediaPackageXml, parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: concurrency`, () => {
  const fx = useDistributionFixture();
  const { form, published, staticUrl } = fx;

  // Each source answers after 200 ms, so requests that did not wait for each other would be
  // fetching at the same time; without the per-folder locks they also move each other's files
  // aside as obsolete and leave the folder empty.
  it('runs concurrent distributions of one element one after the other', async () => {
    writeFileSync(join(fx.remoteRoot, 'other.mp4'), Buffer.alloc(1500, 8));
    const urls = ['remote.mp4', 'other.mp4'].map((name) => `http://${fx.source.host}/slow/${name}`);
    const elements = [0, 1, 0, 1, 0, 1].map((i) => ({ id: 'track-1', url: urls[i] }));
    const results = await Promise.all(
      elements.map((element) =>
        form({
          mediapackage: mediaPackageXml({ id: 'mp-concurrent', elements: [element] }),
          channelId: CHANNEL,
          elementId: 'track-1',
          checkAvailability: 'false',
        }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(elements.map(() => 200));
    results.forEach((result, i) =>
      expect(childText(parseElementDocuments(result.text)[0], 'url')).toBe(
        staticUrl('mp-concurrent', 'track-1', basename(elements[i].url)),
      ),
    );
    expect(fx.source.mostSlowAtOnce()).toBe(1);
    const files = readdirSync(published('mp-concurrent', 'track-1'));
    expect(files).toHaveLength(1);
    expect(['remote.mp4', 'other.mp4']).toContain(files[0]);
    expect(readFileSync(published('mp-concurrent', 'track-1', files[0]))).toEqual(
      readFileSync(join(fx.remoteRoot, files[0])),
    );
  });
});
