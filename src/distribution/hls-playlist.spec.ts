import { describe, expect, it } from 'vitest';
import { isHlsPlaylist, playlistReferences, referenceKind, rewritePlaylist } from './hls-playlist.js';

const MEDIA_PLAYLIST = [
  '#EXTM3U',
  '#EXT-X-VERSION:7',
  '#EXT-X-MAP:URI="init.mp4"',
  '#EXT-X-KEY:METHOD=AES-128,URI="keys/key.bin"',
  '#EXTINF:1.0,',
  'seg0.m4s',
  '#EXTINF:1.0,',
  'https://cdn.example.com/seg1.m4s',
  '#EXT-X-ENDLIST',
  '',
].join('\r\n');

describe(rewritePlaylist.name, () => {
  it('finds media lines and URI attributes', () => {
    expect(playlistReferences(MEDIA_PLAYLIST)).toEqual([
      'init.mp4',
      'keys/key.bin',
      'seg0.m4s',
      'https://cdn.example.com/seg1.m4s',
    ]);
  });

  it('replaces what the callback answers and keeps everything else byte for byte', () => {
    const rewritten = rewritePlaylist(MEDIA_PLAYLIST, (uri) =>
      referenceKind(uri) === 'relative' ? `../el/${uri.split('/').pop()}` : undefined,
    );
    expect(rewritten).toBe(
      MEDIA_PLAYLIST.replace('URI="init.mp4"', 'URI="../el/init.mp4"')
        .replace('URI="keys/key.bin"', 'URI="../el/key.bin"')
        .replace('\r\nseg0.m4s', '\r\n../el/seg0.m4s'),
    );
    expect(rewritePlaylist(MEDIA_PLAYLIST, () => undefined)).toBe(MEDIA_PLAYLIST);
  });

  it('rewrites variant lines of a master playlist, with $ in names taken literally', () => {
    const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow.m3u8\n#EXT-X-MEDIA:TYPE=AUDIO,URI="audio.m3u8"\n';
    expect(rewritePlaylist(master, (uri) => `../$&/${uri}`)).toBe(
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n../$&/low.m3u8\n#EXT-X-MEDIA:TYPE=AUDIO,URI="../$&/audio.m3u8"\n',
    );
  });
});

describe(isHlsPlaylist.name, () => {
  it('knows playlists by extension or mimetype', () => {
    expect(isHlsPlaylist('a.m3u8', null)).toBe(true);
    expect(isHlsPlaylist('a', 'application/x-mpegURL')).toBe(true);
    expect(isHlsPlaylist('a.mp4', 'video/mp4')).toBe(false);
  });
});

describe(referenceKind.name, () => {
  it.each([
    ['seg.ts', 'relative'],
    ['../x/seg.ts', 'relative'],
    ['/abs/seg.ts', 'root-relative'],
    ['//cdn.example.com/seg.ts', 'network-path'],
    ['https://h/seg.ts', 'http'],
    ['HTTP://h/seg.ts', 'http'],
    ['file:///etc/passwd', 'unsupported'],
    ['data:text/plain,x', 'unsupported'],
    ['', 'unsupported'],
  ])('%j is %s', (uri, kind) => {
    expect(referenceKind(uri)).toBe(kind);
  });
});
