import { describe, expect, it } from 'vitest';
import { buildDownloadTask } from './download-task.js';

describe('buildDownloadTask', () => {
  it("produces the seed's task JSON key for key, leaving out absent clip fields", () => {
    const task = buildDownloadTask({
      contentId: '64d45042-1f5b-4d02-a0b8-f1643e38a873',
      frameAccurate: true,
      client: 'europarl',
      clips: [
        { source: 'http://origin-url.com/a.ism/Manifest', start: null, end: null, filter: '' },
        {
          source: 'http://origin-url.com/b.ism/Manifest',
          start: '2018-10-10T14:30:31.081Z',
          end: '2018-10-10T16:30:20.361Z',
          filter: '(type=="audio"&&systemLanguage=="eng")',
        },
      ],
    });
    expect(JSON.stringify(task)).toBe(
      '{"parameters":{"content_id":"64d45042-1f5b-4d02-a0b8-f1643e38a873",' +
        '"output_folder":"downloads/64d45042-1f5b-4d02-a0b8-f1643e38a873",' +
        '"clips":[{"source":"http://origin-url.com/a.ism/Manifest"},' +
        '{"source":"http://origin-url.com/b.ism/Manifest","start":"2018-10-10T14:30:31.081Z","end":"2018-10-10T16:30:20.361Z",' +
        '"filter":"(type==\\"audio\\"&&systemLanguage==\\"eng\\")"}],' +
        '"rest_endpoints":[],"encrypted":false,"frame_accurate":true,"create_mp4":false,"copy_ts":true,"create_via_ffmpeg":true},' +
        '"client":"europarl","job":{"workflow":"vodcapture-mp4"}}',
    );
  });
});
