import { execFileSync } from 'node:child_process';
import { createServer, Server } from 'node:http';
import {
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributionController } from '../src/distribution/distribution.controller.js';
import {
  child,
  childNames,
  childText,
  ElementSpec,
  mediaPackageXml,
  MP_NS,
  parseElementDocuments,
  parseJob,
  parseJobList,
} from './helpers/distribution.js';
import { createTestApp, TestApp } from './helpers/test-app.js';

const MP_ID = '10e8d6b7-24b6-4a0b-b2fa-a2b5c9d54b2d';
const CHANNEL = 'engage-player';
const ORG = 'mh_default_org';

/**
 * Serves `root` over HTTP as an Opencast working file repository would; /broken answers 500,
 * /endless sends bytes until the client goes away, /stalled sends headers and then nothing.
 */
async function startSourceServer(root: string): Promise<{ server: Server; host: string }> {
  const server = createServer((req, res) => {
    if (req.url!.startsWith('/endless')) {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x23);
      const send = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', send);
      send();
      return;
    }
    if (req.url!.startsWith('/stalled')) {
      res.writeHead(200, { 'Content-Length': '1000' });
      res.flushHeaders();
      return;
    }
    if (req.url!.startsWith('/redirect-port')) {
      res.writeHead(302, { Location: `http://127.0.0.1:1/remote.mp4` }).end();
      return;
    }
    if (req.url!.startsWith('/redirect-file')) {
      res.writeHead(302, { Location: 'file:///etc/passwd' }).end();
      return;
    }
    if (req.url!.startsWith('/redirect')) {
      res.writeHead(302, { Location: 'http://evil.example.com/video.mp4' }).end();
      return;
    }
    const path = join(root, decodeURIComponent(new URL(req.url!, 'http://x').pathname));
    if (req.url!.startsWith('/broken') || !existsSync(path)) {
      res.writeHead(req.url!.startsWith('/broken') ? 500 : 404).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe(DistributionController.name, () => {
  let testApp: TestApp;
  let mediaRoot: string;
  let staticDir: string;
  let source: { server: Server; host: string };
  let remoteRoot: string;

  const form = (fields: Record<string, string>) =>
    request(testApp.baseUrl).post('/distribution/download/distributesync').type('form').send(fields);
  const fileUrl = (name: string) => pathToFileURL(join(mediaRoot, name)).href;
  const published = (...segments: string[]) => join(staticDir, ORG, CHANNEL, ...segments);
  const staticUrl = (...segments: string[]) => `${testApp.baseUrl}/static/${[ORG, CHANNEL, ...segments].join('/')}`;

  const track: ElementSpec = {
    id: 'track-1',
    url: '',
    flavor: 'presenter/delivery',
    ref: 'track:track-0',
    tags: ['engage-download', 'atom'],
    checksum: '9e107d9d372bb6826bd81d3542a419d6',
    size: 4096,
    extraXml: '<futureField xmlns="urn:example:future" level="3">keep me</futureField>',
  };

  beforeAll(async () => {
    remoteRoot = mkdtempSync(join(tmpdir(), 'distribution-remote-'));
    writeFileSync(join(remoteRoot, 'remote.mp4'), Buffer.alloc(3000, 7));
    source = await startSourceServer(remoteRoot);
    testApp = await createTestApp({ ALLOWED_SOURCE_HOSTS: source.host, DISTRIBUTION_AVAILABILITY_TIMEOUT_MS: '2000' });
    mediaRoot = testApp.config.mediaRoot;
    staticDir = testApp.config.distribution.directory;
    mkdirSync(join(mediaRoot, 'hls'), { recursive: true });
    writeFileSync(join(mediaRoot, 'video.mp4'), Buffer.alloc(4096, 1));
    writeFileSync(join(mediaRoot, 'episode.xml'), '<dublincore/>');
    writeFileSync(join(mediaRoot, 'cover.png'), Buffer.alloc(64, 3));
    track.url = fileUrl('video.mp4');
    // A real HLS rendition: playlist and MPEG-TS segments from ffmpeg.
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x90:rate=10:duration=2',
      '-c:v',
      'mpeg2video',
      '-f',
      'hls',
      '-hls_time',
      '1',
      '-hls_list_size',
      '0',
      '-hls_segment_filename',
      join(mediaRoot, 'hls', 'seg%d.ts'),
      join(mediaRoot, 'hls', 'variant.m3u8'),
    ]);
    writeFileSync(
      join(mediaRoot, 'hls', 'master.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=160x90\nvariant.m3u8\n',
    );
  });

  afterAll(async () => {
    await testApp?.close();
    source?.server.close();
    rmSync(remoteRoot, { recursive: true, force: true });
  });

  it('distributes a track, a catalog and an attachment synchronously, changing only <url>', async () => {
    const mediapackage = mediaPackageXml({
      id: MP_ID,
      elements: [
        track,
        {
          id: 'catalog-1',
          kind: 'catalog',
          flavor: 'dublincore/episode',
          mimetype: 'text/xml',
          url: fileUrl('episode.xml'),
        },
        {
          id: 'attachment-1',
          kind: 'attachment',
          flavor: 'presenter/player+preview',
          mimetype: 'image/png',
          url: fileUrl('cover.png'),
        },
      ],
    });
    const response = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: '["track-1","catalog-1","attachment-1"]',
    }).expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/xml/);

    const [distributedTrack, catalog, attachment] = parseElementDocuments(response.text);
    expect(distributedTrack.localName).toBe('track');
    expect(childText(distributedTrack, 'url')).toBe(staticUrl(MP_ID, 'track-1', 'video.mp4'));
    expect(childText(catalog, 'url')).toBe(staticUrl(MP_ID, 'catalog-1', 'episode.xml'));
    expect(childText(attachment, 'url')).toBe(staticUrl(MP_ID, 'attachment-1', 'cover.png'));
    // Everything but the URL stays as it came, including what this service does not know.
    expect(distributedTrack.getAttribute('id')).toBe('track-1');
    expect(distributedTrack.getAttribute('type')).toBe('presenter/delivery');
    expect(distributedTrack.getAttribute('ref')).toBe('track:track-0');
    expect(childText(distributedTrack, 'checksum')).toBe(track.checksum);
    expect(child(distributedTrack, 'checksum')!.getAttribute('type')).toBe('md5');
    expect(childText(distributedTrack, 'size')).toBe('4096');
    expect(childNames(child(distributedTrack, 'tags')!)).toEqual([`{${MP_NS}}tag`, `{${MP_NS}}tag`]);
    expect(childText(child(distributedTrack, 'video')!, 'resolution')).toBe('160x90');
    expect(childText(distributedTrack, 'futureField', 'urn:example:future')).toBe('keep me');
    expect(child(distributedTrack, 'futureField', 'urn:example:future')!.getAttribute('level')).toBe('3');

    // Published by hard link on the same disk, served with its type and Range support.
    expect(statSync(published(MP_ID, 'track-1', 'video.mp4')).ino).toBe(statSync(join(mediaRoot, 'video.mp4')).ino);
    const file = await request(testApp.baseUrl).get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/video.mp4`).expect(200);
    expect(file.headers['content-type']).toBe('video/mp4');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-security-policy']).toBe('sandbox');
    expect(file.body.length).toBe(4096);
    const range = await request(testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/video.mp4`)
      .set('Range', 'bytes=100-199')
      .expect(206);
    expect(range.headers['content-range']).toBe('bytes 100-199/4096');
    expect(range.body.length).toBe(100);
  });

  it('reads prefixed (ns2:) mediapackages, single-quoted id arrays and bare ids, over multipart too', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-prefixed',
      prefix: 'ns2',
      elements: [track, { id: 'track-2', url: fileUrl('video.mp4') }],
    });
    const quoted = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: "['track-1','track-2']",
      checkAvailability: 'false',
    }).expect(200);
    const roots = parseElementDocuments(quoted.text);
    expect(roots.map((root) => childText(root, 'url'))).toEqual([
      staticUrl('mp-prefixed', 'track-1', 'video.mp4'),
      staticUrl('mp-prefixed', 'track-2', 'video.mp4'),
    ]);
    expect(roots[0].prefix).toBe('ns2');
    expect(childText(roots[0], 'futureField', 'urn:example:future')).toBe('keep me');

    const multipart = await request(testApp.baseUrl)
      .post('/distribution/download/distributesync')
      .field('mediapackage', mediapackage)
      .field('channelId', CHANNEL)
      .field('elementId', 'track-2')
      .expect(200);
    expect(parseElementDocuments(multipart.text).map((root) => root.getAttribute('id'))).toEqual(['track-2']);
  });

  it('ignores form fields and query parameters it does not know, as Opencast does', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-extra', elements: [track] });
    await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: 'track-1',
      checkAvailability: 'false',
      workflowInstanceId: '42',
    }).expect(200);
    await request(testApp.baseUrl).get('/services/jobs.xml?status=FINISHED&serviceType=x').expect(200);
  });

  it('distributes again idempotently: same URL, the file replaced atomically, no temporary files left', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-again', elements: [track] });
    const first = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const second = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    expect(first.text).toBe(second.text);
    expect(readdirSync(published('mp-again', 'track-1'))).toEqual(['video.mp4']);
  });

  it('removes what an element published before under another name, its old HLS segments too', async () => {
    const hlsTrack = { id: 'track-1', url: fileUrl('hls/variant.m3u8'), mimetype: 'application/x-mpegURL' };
    await form({
      mediapackage: mediaPackageXml({ id: 'mp-renamed', elements: [hlsTrack] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    }).expect(200);
    expect(
      readdirSync(published('mp-renamed', 'track-1')).filter((name) => name.endsWith('.ts')).length,
    ).toBeGreaterThanOrEqual(2);
    await form({
      mediapackage: mediaPackageXml({ id: 'mp-renamed', elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    }).expect(200);
    expect(readdirSync(published('mp-renamed', 'track-1'))).toEqual(['video.mp4']);
  });

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

  it('sweeps hidden temporary files that a crash left behind once they are an hour old', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-sweep', elements: [track] });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const leftovers = ['.video.mp4.0123456789ab.tmp', '.video.mp4.ba9876543210.bak'];
    for (const name of leftovers) writeFileSync(published('mp-sweep', 'track-1', name), 'left by a crash');
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    expect(readdirSync(published('mp-sweep', 'track-1')).sort()).toEqual([...leftovers, 'video.mp4'].sort());
    testApp.clock.advance(61 * 60 * 1000);
    try {
      await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    } finally {
      testApp.clock.advance(-61 * 60 * 1000);
    }
    expect(readdirSync(published('mp-sweep', 'track-1'))).toEqual(['video.mp4']);
  });

  it('publishes all elements or none: a failing source undoes the request and restores what was there', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-atomic',
      elements: [
        track,
        { id: 'track-remote', url: `http://${source.host}/broken/remote.mp4` },
        { id: 'track-new', url: fileUrl('cover.png') },
      ],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'track-1' }).expect(200);
    const before = statSync(published('mp-atomic', 'track-1', 'video.mp4')).ino;

    const failed = await form({
      mediapackage,
      channelId: CHANNEL,
      elementId: '["track-new","track-1","track-remote"]',
    }).expect(502);
    expect(failed.headers['content-type']).toMatch(/^text\/plain/);
    expect(failed.text).toContain(`http://${source.host}/broken/remote.mp4`);
    expect(readdirSync(published('mp-atomic')).sort()).toEqual(['track-1']);
    expect(readdirSync(published('mp-atomic', 'track-1'))).toEqual(['video.mp4']);
    expect(statSync(published('mp-atomic', 'track-1', 'video.mp4')).ino).toBe(before);
  });

  it('streams a remote source from an allowed host to disk', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-remote',
      elements: [{ id: 'track-remote', url: `http://${source.host}/remote.mp4` }],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-remote' }).expect(200);
    expect(childText(parseElementDocuments(response.text)[0], 'url')).toBe(
      staticUrl('mp-remote', 'track-remote', 'remote.mp4'),
    );
    expect(readFileSync(published('mp-remote', 'track-remote', 'remote.mp4'))).toEqual(
      readFileSync(join(remoteRoot, 'remote.mp4')),
    );
  });

  it('follows redirects only to allowed hosts', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-redirect',
      elements: [{ id: 'track-remote', url: `http://${source.host}/redirect/video.mp4` }],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'track-remote' }).expect(400);
    expect(response.text).toContain('evil.example.com');
    expect(existsSync(published('mp-redirect'))).toBe(false);
    for (const [path, reason] of [
      [
        '/redirect-port/video.mp4',
        'The host "127.0.0.1:1" of http://127.0.0.1:1/remote.mp4 is not in ALLOWED_SOURCE_HOSTS',
      ],
      ['/redirect-file/video.mp4', 'file:///etc/passwd'],
    ]) {
      const elements = [{ id: 'track-remote', url: `http://${source.host}${path}` }];
      const refused = await form({
        mediapackage: mediaPackageXml({ id: 'mp-redirect', elements }),
        channelId: CHANNEL,
        elementId: 'track-remote',
      });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain(reason);
      expect(existsSync(published('mp-redirect'))).toBe(false);
    }
  });

  it('stops reading a remote playlist once it passes the playlist size limit', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-endless',
      elements: [{ id: 'variant', url: `http://${source.host}/endless/index.m3u8`, mimetype: 'application/x-mpegURL' }],
    });
    const response = await form({ mediapackage, channelId: CHANNEL, elementId: 'variant' }).expect(400);
    expect(response.text).toContain(`The playlist http://${source.host}/endless/index.m3u8 is more than`);
    expect(existsSync(published('mp-endless'))).toBe(false);
  });

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
    const master = await request(testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/mp-hls/master/master.m3u8`)
      .expect(200);
    expect(master.headers['content-type']).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(master.text).toContain('\n../variant/variant.m3u8\n');
    const variant = readFileSync(published('mp-hls', 'variant', 'variant.m3u8'), 'utf8');
    const segments = variant.split('\n').filter((line) => line.endsWith('.ts'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of segments) {
      const served = await request(testApp.baseUrl)
        .get(`/static/${ORG}/${CHANNEL}/mp-hls/variant/${segment}`)
        .expect(200);
      expect(served.headers['content-type']).toBe('video/mp2t');
      expect(served.body.length).toBe(statSync(join(mediaRoot, 'hls', segment)).size);
    }
  });

  it('publishes every file a playlist references, however it is named, and rewrites each reference', async () => {
    const hls = join(mediaRoot, 'hls');
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
        `http://${source.host}/remote.mp4?token=1`,
        'space/seg%200.ts',
      ]),
    );
    // Another element whose file is also called variant.m3u8 must not be mistaken for the master's variant.
    mkdirSync(join(mediaRoot, 'decoy'), { recursive: true });
    writeFileSync(join(mediaRoot, 'decoy', 'variant.m3u8'), '#EXTM3U\n#EXT-X-ENDLIST\n');
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
    const hls = join(mediaRoot, 'hls');
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
    mkdirSync(join(remoteRoot, 'hls'), { recursive: true });
    for (const name of readdirSync(join(mediaRoot, 'hls'))) {
      if (/^(seg\d+\.ts|variant\.m3u8)$/.test(name))
        cpSync(join(mediaRoot, 'hls', name), join(remoteRoot, 'hls', name));
    }
    const mediapackage = mediaPackageXml({
      id: 'mp-remote-hls',
      elements: [
        { id: 'variant', url: `http://${source.host}/hls/variant.m3u8`, mimetype: 'application/vnd.apple.mpegurl' },
      ],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: 'variant' }).expect(200);
    const folder = published('mp-remote-hls', 'variant');
    const segments = readdirSync(folder).filter((name) => name.endsWith('.ts'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    for (const segment of segments)
      expect(readFileSync(join(folder, segment))).toEqual(readFileSync(join(mediaRoot, 'hls', segment)));
    expect(readFileSync(join(folder, 'variant.m3u8'), 'utf8')).toBe(
      readFileSync(join(mediaRoot, 'hls', 'variant.m3u8'), 'utf8'),
    );
  });

  it('runs Distribute as an Opencast job: QUEUED, then FINISHED with the elements as payload', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-job', elements: [track] });
    const accepted = await request(testApp.baseUrl)
      .post('/distribution/download')
      .type('form')
      .send({
        mediapackage,
        channelId: CHANNEL,
        elementId: '["track-1"]',
        checkAvailability: 'true',
        preserveReference: 'false',
      })
      .expect(200);
    expect(accepted.headers['content-type']).toMatch(/^text\/xml/);
    const job = parseJob(accepted.text);
    expect(job).toMatchObject({
      status: 'QUEUED',
      type: 'org.opencastproject.distribution.download',
      operation: 'Distribute',
      args: [CHANNEL, mediapackage, '["track-1"]', 'true', 'false'],
    });
    expect(Number.isSafeInteger(job.id) && job.id > 0).toBe(true);
    expect(childText(job.root, 'organization', job.root.namespaceURI!)).toBe(ORG);

    const finished = await pollJob(job.id, 'FINISHED');
    const payload = parseElementDocuments(finished.payload!);
    expect(childText(payload[0], 'url')).toBe(staticUrl('mp-job', 'track-1', 'video.mp4'));
    expect(finished.version).toBeGreaterThan(job.version);
    const names = childNames(finished.root).map((name) => name.replace(/^\{[^}]*\}/, ''));
    expect(names).toEqual([
      'creator',
      'organization',
      'url',
      'operation',
      'args',
      'createdHost',
      'processingHost',
      'dateCreated',
      'dateStarted',
      'dateCompleted',
      'queueTime',
      'runTime',
      'payload',
      'dispatchable',
      'jobLoad',
    ]);

    const json = await request(testApp.baseUrl).get(`/services/job/${job.id}.json`).expect(200);
    expect(json.body.job).toMatchObject({
      id: job.id,
      status: 'FINISHED',
      operation: 'Distribute',
      args: { arg: job.args },
    });
    const list = await request(testApp.baseUrl).get('/services/jobs.xml?status=FINISHED').expect(200);
    const ids = parseJobList(list.text).map((listed) => listed.id);
    expect(ids).toContain(job.id);
    await request(testApp.baseUrl).get('/services/job/999999.xml').expect(404);
    const badStatus = await request(testApp.baseUrl).get('/services/jobs.xml?status=DONE').expect(400);
    expect(badStatus.text).toContain('status must be one of');
  });

  it('lists the newest jobs a page at a time (limit, offset)', async () => {
    const mediapackage = mediaPackageXml({ id: 'mp-list', elements: [track] });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const accepted = await request(testApp.baseUrl)
        .post('/distribution/download/retract')
        .type('form')
        .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
        .expect(200);
      ids.push(parseJob(accepted.text).id);
    }
    const list = async (query: string) =>
      parseJobList((await request(testApp.baseUrl).get(`/services/jobs.xml?${query}`).expect(200)).text).map(
        (job) => job.id,
      );
    expect(await list('limit=2')).toEqual(ids.slice(1));
    expect(await list('limit=1&offset=1')).toEqual([ids[1]]);
    const json = await request(testApp.baseUrl).get('/services/jobs.json?limit=1').expect(200);
    expect(json.body.jobs.job.map((job: { id: number }) => job.id)).toEqual([ids[2]]);
    for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'limit=ten']) {
      const refused = await request(testApp.baseUrl).get(`/services/jobs.xml?${query}`).expect(400);
      expect(refused.text).toMatch(/(limit|offset) must be a whole number/);
    }
  });

  it('retracts: removes element folders, then the mediapackage folder once empty; missing files are fine', async () => {
    const mediapackage = mediaPackageXml({
      id: 'mp-retract',
      elements: [track, { id: 'track-2', url: fileUrl('cover.png') }],
    });
    await form({ mediapackage, channelId: CHANNEL, elementId: '["track-1","track-2"]' }).expect(200);

    const first = await request(testApp.baseUrl)
      .post('/distribution/download/retractsync')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
      .expect(200);
    const [retracted] = parseElementDocuments(first.text);
    expect(childText(retracted, 'url')).toBe(track.url);
    expect(readdirSync(published('mp-retract'))).toEqual(['track-2']);

    const accepted = await request(testApp.baseUrl)
      .post('/distribution/download/retract')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: '["track-1","track-2"]' })
      .expect(200);
    const job = parseJob(accepted.text);
    expect(job.operation).toBe('Retract');
    expect(job.args).toHaveLength(3);
    const finished = await pollJob(job.id, 'FINISHED');
    expect(parseElementDocuments(finished.payload!).map((root) => root.getAttribute('id'))).toEqual([
      'track-1',
      'track-2',
    ]);
    expect(existsSync(published('mp-retract'))).toBe(false);
    expect(existsSync(published())).toBe(true);
  });

  it("retracts elements found in the channel's publication, as Opencast's retract operations send them", async () => {
    const source = mediaPackageXml({ id: 'mp-publication', elements: [track] });
    const [distributed] = parseElementDocuments(
      (await form({ mediapackage: source, channelId: CHANNEL, elementId: 'track-1' }).expect(200)).text,
    );
    const publishedUrl = childText(distributed, 'url')!;
    // Only the publication holds the element now, with its published URL.
    const mediapackage = mediaPackageXml({
      id: 'mp-publication',
      elements: [],
      publications: [{ id: 'publication-1', channel: CHANNEL, elements: [{ ...track, url: publishedUrl }] }],
    });
    const response = await request(testApp.baseUrl)
      .post('/distribution/download/retractsync')
      .type('form')
      .send({ mediapackage, channelId: CHANNEL, elementId: 'track-1' })
      .expect(200);
    expect(childText(parseElementDocuments(response.text)[0], 'url')).toBe(publishedUrl);
    expect(existsSync(published('mp-publication'))).toBe(false);
  });

  it('serves no directory listings and no temporary files', async () => {
    await request(testApp.baseUrl).get(`/static/${ORG}/${CHANNEL}/`).expect(404);
    await request(testApp.baseUrl).get(`/static/${ORG}/`).expect(404);
    // What a publication in progress looks like: a hidden temporary name next to the file.
    writeFileSync(published(MP_ID, 'track-1', '.video.mp4.abc.tmp'), 'half-written');
    const hidden = await request(testApp.baseUrl)
      .get(`/static/${ORG}/${CHANNEL}/${MP_ID}/track-1/.video.mp4.abc.tmp`)
      .expect(404);
    expect(hidden.text).not.toContain('half-written');
  });

  describe('refuses bad input with 400 and a plain-text reason, leaving nothing behind', () => {
    const valid = () => ({
      mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [track] }),
      channelId: CHANNEL,
      elementId: 'track-1',
    });
    const cases: [string, () => Record<string, string>, string][] = [
      ['no mediapackage', () => ({ ...valid(), mediapackage: '' }), 'mediapackage is required'],
      ['no channelId', () => ({ mediapackage: valid().mediapackage, elementId: 'track-1' }), 'channelId is required'],
      ['no elementId', () => ({ mediapackage: valid().mediapackage, channelId: CHANNEL }), 'elementId is required'],
      [
        'malformed XML',
        () => ({
          ...valid(),
          mediapackage: '<mediapackage xmlns="http://mediapackage.opencastproject.org" id="x"><media>',
        }),
        'not well-formed',
      ],
      [
        'a document that is not a mediapackage',
        () => ({ ...valid(), mediapackage: '<episode id="x"/>' }),
        'must be a <mediapackage>',
      ],
      [
        'an XXE document',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!DOCTYPE mp [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><mediapackage xmlns="${MP_NS}" id="x"><title>&xxe;</title></mediapackage>`,
        }),
        'DOCTYPE',
      ],
      [
        'a billion-laughs document',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><mediapackage xmlns="${MP_NS}" id="x">&lol2;</mediapackage>`,
        }),
        'DOCTYPE',
      ],
      [
        'a lower-case doctype',
        () => ({
          ...valid(),
          mediapackage: `<?xml version="1.0"?><!doctype mp SYSTEM "http://evil.example.com/x.dtd"><mediapackage xmlns="${MP_NS}" id="x"/>`,
        }),
        'DOCTYPE or ENTITY',
      ],
      [
        'a bare ENTITY declaration',
        () => ({ ...valid(), mediapackage: `<!ENTITY x "y"><mediapackage xmlns="${MP_NS}" id="x"/>` }),
        'DOCTYPE or ENTITY',
      ],
      [
        'an element id not in the mediapackage',
        () => ({ ...valid(), elementId: '["track-1","track-9"]' }),
        'no element with id track-9',
      ],
      [
        'an elementId that is not a list of strings',
        () => ({ ...valid(), elementId: '[1,2]' }),
        'not a JSON array of strings',
      ],
      [
        'a bad checkAvailability',
        () => ({ ...valid(), checkAvailability: 'maybe' }),
        'checkAvailability must be true or false',
      ],
      ['a channelId that climbs out', () => ({ ...valid(), channelId: '../../etc' }), 'channelId'],
      ['a channelId that is absolute', () => ({ ...valid(), channelId: '/tmp' }), 'channelId'],
      ['an element id that climbs out', () => ({ ...valid(), elementId: '["../../x"]' }), 'element id'],
      [
        'a mediapackage id that climbs out',
        () => ({ ...valid(), mediapackage: mediaPackageXml({ id: '../..', elements: [track] }) }),
        'mediapackage id',
      ],
      [
        'an element id that climbs out inside the XML',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, id: '..' }] }),
          elementId: '..',
        }),
        'element id',
      ],
      [
        'a file name that climbs out',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({
            id: 'mp-bad',
            elements: [{ ...track, url: `http://${source.host}/..%2F..%2Fpasswd` }],
          }),
        }),
        'file name',
      ],
      [
        'a file source outside the media root',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: 'file:///etc/hostname' }] }),
        }),
        'outside the media root',
      ],
      [
        'a relative path that climbs out of the media root',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: '../../../etc/hostname' }] }),
        }),
        'outside the media root',
      ],
      [
        'a remote source on a host that is not allowed',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({
            id: 'mp-bad',
            elements: [{ ...track, url: 'http://evil.example.com/video.mp4' }],
          }),
        }),
        'not in ALLOWED_SOURCE_HOSTS',
      ],
      [
        'a source file that does not exist',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: fileUrl('missing.mp4') }] }),
        }),
        'does not exist',
      ],
      [
        'an unsupported scheme',
        () => ({
          ...valid(),
          mediapackage: mediaPackageXml({ id: 'mp-bad', elements: [{ ...track, url: 'ftp://example.com/video.mp4' }] }),
        }),
        'not supported',
      ],
    ];

    // Retract reads no sources and no flags: the rest applies to it as well.
    const distributeOnly = /file name|source|scheme|checkAvailability|climbs out of the media root/;

    it.each(cases)('%s', async (name, fields, reason) => {
      const paths = ['/distribution/download/distributesync', '/distribution/download'];
      if (!distributeOnly.test(name))
        paths.push('/distribution/download/retractsync', '/distribution/download/retract');
      for (const path of paths) {
        const response = await request(testApp.baseUrl).post(path).type('form').send(fields()).expect(400);
        expect(response.headers['content-type']).toMatch(/^text\/plain/);
        expect(response.text).toContain(reason);
      }
      expect(existsSync(published('mp-bad'))).toBe(false);
      expect(readdirSync(staticDir)).toEqual([ORG]);
    });
  });

  describe('with DISTRIBUTION_MAX_SOURCE_BYTES and DISTRIBUTION_FETCH_TIMEOUT_MS', () => {
    let limited: TestApp;
    beforeAll(async () => {
      limited = await createTestApp({
        ALLOWED_SOURCE_HOSTS: source.host,
        DISTRIBUTION_MAX_SOURCE_BYTES: '2000',
        DISTRIBUTION_FETCH_TIMEOUT_MS: '400',
      });
    });
    afterAll(() => limited?.close());

    const distribute = (id: string, path: string) =>
      request(limited.baseUrl)
        .post('/distribution/download/distributesync')
        .type('form')
        .send({
          mediapackage: mediaPackageXml({
            id,
            elements: [{ id: 'track-remote', url: `http://${source.host}${path}` }],
          }),
          channelId: CHANNEL,
          elementId: 'track-remote',
        });
    const leftovers = (id: string) => existsSync(join(limited.config.distribution.directory, ORG, CHANNEL, id));

    it('refuses a source whose Content-Length is over the limit', async () => {
      const response = await distribute('mp-declared', '/remote.mp4').expect(400);
      expect(response.text).toBe(
        `The source http://${source.host}/remote.mp4 is 3000 bytes, more than 2000 bytes (DISTRIBUTION_MAX_SOURCE_BYTES)`,
      );
      expect(leftovers('mp-declared')).toBe(false);
    });

    it('stops a download without Content-Length once it passes the limit', async () => {
      const response = await distribute('mp-endless', '/endless/video.mp4').expect(400);
      expect(response.text).toContain('is more than 2000 bytes (DISTRIBUTION_MAX_SOURCE_BYTES)');
      expect(leftovers('mp-endless')).toBe(false);
    });

    it('gives up on a source that stalls, naming the setting', async () => {
      const response = await distribute('mp-stalled', '/stalled/video.mp4').expect(504);
      expect(response.text).toContain(
        `http://${source.host}/stalled/video.mp4 took longer than DISTRIBUTION_FETCH_TIMEOUT_MS (400 ms)`,
      );
      expect(leftovers('mp-stalled')).toBe(false);
    });
  });

  async function pollJob(id: number, status: string) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const response = await request(testApp.baseUrl).get(`/services/job/${id}.xml`).expect(200);
      const job = parseJob(response.text);
      if (job.status === status) return job;
      if (job.status === 'FAILED' || Date.now() > deadline)
        throw new Error(`Job ${id} is ${job.status}: ${response.text}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
});
