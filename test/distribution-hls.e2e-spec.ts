import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import { childText, mediaPackageXml, parseElementDocuments } from './helpers/distribution.js';
import { CHANNEL, ORG, useDistributionFixture } from './helpers/distribution-fixture.js';

describe(`${DistributionController.name}: HLS playlists`, () => {
  const fx = useDistributionFixture();
  const { form, fileUrl, published, staticUrl } = fx;

  it('publishes HLS playlists with their segments and rewrites the references', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-hls',
      elements: [
        {
          id: 'master',
          url: fileUrl('hls/master.m3u8'),
          mimetype: 'application/x-mpegURL',
          flavor: 'presenter/delivery',
        },
        {
          id: 'variant',
          url: fileUrl('hls/variant.m3u8'),
          mimetype: 'application/x-mpegURL',
          flavor: 'presenter/delivery',
        },
      ],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: '["master","variant"]' }).expect(200);
    expect(parseElementDocuments(response.text).map((root) => childText(root, 'url'))).toEqual([
      staticUrl('mp-hls', 'master', 'master.m3u8'),
      staticUrl('mp-hls', 'variant', 'variant.m3u8'),
    ]);
    // The master names the variant element's published playlist, the variant its segments next to it.
    const master = await request(fx.testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/mp-hls/master/master.m3u8`)
      .expect(200);
    expect(master.headers['content-type']).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(master.text).toContain('\n../variant/variant.m3u8\n');
    const variant = readFileSync(published('mp-hls', 'variant', 'variant.m3u8'), 'utf8');
    const segments = variant.split('\n').filter((line) => line.endsWith('.ts'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of segments) {
      const served = await request(fx.testApp.baseUrl)
        .get(`/static/${ORG}/${CHANNEL}/mp-hls/variant/${segment}`)
        .expect(200);
      expect(served.headers['content-type']).toBe('video/mp2t');
      expect(served.body.length).toBe(statSync(join(fx.mediaRoot, 'hls', segment)).size);
    }
  });

  it('publishes every file a playlist references, however it is named, and rewrites each reference', async () => {
    const hls = join(fx.mediaRoot, 'hls');
    mkdirSync(join(hls, 'nested', 'space'), { recursive: true });
    writeFileSync(join(hls, 'nested', 'space', 'seg 0.ts'), readFileSync(join(hls, 'seg0.ts')));
    const playlist = (lines: string[]) =>
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:1',
        ...lines.flatMap((line) => ['#EXTINF:1.0,', line]),
        '#EXT-X-ENDLIST',
        '',
      ].join('\n');
    writeFileSync(
      join(hls, 'nested', 'mixed.m3u8'),
      playlist([
        '../seg0.ts',
        `${join(hls, 'seg1.ts')}`,
        `http://${fx.source.host}/remote.mp4?token=1`,
        'space/seg%200.ts',
      ]),
    );
    // Another element whose file is also called variant.m3u8 must not be mistaken for the master's variant.
    mkdirSync(join(fx.mediaRoot, 'decoy'), { recursive: true });
    writeFileSync(join(fx.mediaRoot, 'decoy', 'variant.m3u8'), '#EXTM3U\n#EXT-X-ENDLIST\n');
    const mediapackage = mediaPackageXml({
      id: 'mp-references',
      elements: [
        { id: 'mixed', url: fileUrl('hls/nested/mixed.m3u8'), mimetype: 'application/x-mpegURL' },
        { id: 'master', url: fileUrl('hls/master.m3u8'), mimetype: 'application/x-mpegURL' },
        { id: 'decoy', url: fileUrl('decoy/variant.m3u8'), mimetype: 'application/x-mpegURL' },
      ],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: '["mixed","master","decoy"]' });
    expect(response.text).toContain('mp-references');
    expect(response.status).toBe(200);

    const mixed = published('mp-references', 'mixed');
    expect(readFileSync(join(mixed, 'mixed.m3u8'), 'utf8')).toBe(
      playlist(['seg0.ts', 'seg1.ts', 'remote.mp4', 'seg%200.ts']),
    );
    expect(readdirSync(mixed).sort()).toEqual(['mixed.m3u8', 'remote.mp4', 'seg 0.ts', 'seg0.ts', 'seg1.ts']);
    expect(readFileSync(join(mixed, 'seg 0.ts'))).toEqual(readFileSync(join(hls, 'seg0.ts')));
    expect(readFileSync(published('mp-references', 'master', 'master.m3u8'), 'utf8')).toContain('\nvariant.m3u8\n');
    expect(readdirSync(published('mp-references', 'master'))).toContain('variant.m3u8');
  });

  it('refuses playlist references it cannot publish, naming them, and leaves nothing behind', async () => {
    const hls = join(fx.mediaRoot, 'hls');
    mkdirSync(join(hls, 'a'), { recursive: true });
    mkdirSync(join(hls, 'b'), { recursive: true });
    writeFileSync(join(hls, 'a', 'seg.ts'), 'a');
    writeFileSync(join(hls, 'b', 'seg.ts'), 'b');
    const cases: [string, string][] = [
      ['file:///etc/passwd', 'The playlist reference file:///etc/passwd is not supported'],
      ['data:video/mp2t;base64,AAAA', 'The playlist reference data:video/mp2t;base64,AAAA is not supported'],
      ['../../../../etc/hostname', 'The playlist reference ../../../../etc/hostname cannot be published'],
      ['/etc/hostname', 'The playlist reference /etc/hostname cannot be published'],
      ['http://evil.example.com/seg.ts', 'not in ALLOWED_SOURCE_HOSTS'],
      [
        'a/seg.ts\n#EXTINF:1.0,\nb/seg.ts',
        'The playlist references a/seg.ts and b/seg.ts, which would both be published as seg.ts',
      ],

      ['d1.m3u8', 'The playlist reference d3.m3u8 nests playlists more than 3 deep'],
    ];
    for (const level of [1, 2, 3])
      writeFileSync(join(hls, `d${level}.m3u8`), `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nd${level + 1}.m3u8\n`);
    for (const [reference, reason] of cases) {
      writeFileSync(
        join(hls, 'bad.m3u8'),
        `#EXTM3U\n#EXTINF:1.0,\nseg0.ts\n#EXTINF:1.0,\n${reference}\n#EXT-X-ENDLIST\n`,
      );
      const mediapackage = mediaPackageXml({
        id: 'mp-bad-reference',
        elements: [{ id: 'bad', url: fileUrl('hls/bad.m3u8'), mimetype: 'application/x-mpegURL' }],
      });
      const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'bad' }).expect(400);
      expect(response.text).toContain(reason);
      expect(existsSync(published('mp-bad-reference'))).toBe(false);
    }
  });

  it('publishes a remote HLS playlist with the segments it names, fetched from the same allowed host', async () => {
    mkdirSync(join(fx.remoteRoot, 'hls'), { recursive: true });
    for (const name of readdirSync(join(fx.mediaRoot, 'hls'))) {
      if (/^(seg\d+\.ts|variant\.m3u8)$/.test(name))
        cpSync(join(fx.mediaRoot, 'hls', name), join(fx.remoteRoot, 'hls', name));
    }
    const mediapackage = mediaPackageXml({
      id: 'mp-remote-hls',
      elements: [
        { id: 'variant', url: `http://${fx.source.host}/hls/variant.m3u8`, mimetype: 'application/vnd.apple.mpegurl' },
      ],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'variant' }).expect(200);
    const folder = published('mp-remote-hls', 'variant');
    const segments = readdirSync(folder).filter((name) => name.endsWith('.ts'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of segments)
      expect(readFileSync(join(folder, segment))).toEqual(readFileSync(join(fx.mediaRoot, 'hls', segment)));
    expect(readFileSync(join(folder, 'variant.m3u8'), 'utf8')).toBe(
      readFileSync(join(fx.mediaRoot, 'hls', 'variant.m3u8'), 'utf8'),
    );
  });

  it('stops reading a remote playlist once it passes the playlist size limit', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-endless',
      elements: [
        { id: 'variant', url: `http://${fx.source.host}/endless/index.m3u8`, mimetype: 'application/x-mpegURL' },
      ],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'variant' }).expect(400);
    expect(response.text).toContain(`The playlist http://${fx.source.host}/endless/index.m3u8 is more than`);
    expect(existsSync(published('mp-endless'))).toBe(false);
  });
});
