import { describe, expect, it } from 'vitest';
import { MediaCommandError } from './ffmpeg.js';

describe(MediaCommandError.name, () => {
  it('names the tool, not where it is installed, and keeps the last lines of its error output', () => {
    const error = new MediaCommandError('/opt/ffmpeg-7/bin/ffprobe -v error -i in.mp4', 1, 'in.mp4: Invalid data');
    expect(error.message).toBe('ffprobe failed (exit code 1): in.mp4: Invalid data');
    expect(error.command).toBe('/opt/ffmpeg-7/bin/ffprobe -v error -i in.mp4');
  });

  it('says when the tool was killed or wrote nothing', () => {
    expect(new MediaCommandError('ffmpeg -i x', null, '').message).toBe('ffmpeg failed (killed): no error output');
  });
});
