import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { mediaPackageXml } from './helpers/distribution.js';
import { CHANNEL, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: concurrency`, () => {
  const fx = useDistributionFixture();
  const { form, fileUrl, published, track } = fx;

  it('runs concurrent distributions of one element one after the other', async () => {
    const renamed = { ...track, url: fileUrl('cover.png') };
    const results = await Promise.all(
      [track, renamed, track, renamed, track].map((element) =>
        form({
          mediapackage: mediaPackageXml({ id: 'mp-concurrent', elements: [element] }),
          channelId: CHANNEL,
          elementId: 'track-1',
          checkAvailability: 'false',
        }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200, 200]);
    const files = readdirSync(published('mp-concurrent', 'track-1'));
    expect(files).toHaveLength(1);
    expect(['video.mp4', 'cover.png']).toContain(files[0]);
  });
});
