import { describe, expect, it } from 'vitest';
import { FormFieldError, parseElementIds, parseFlag } from './distribution-form.js';
import { fileNameOf, fileNameProblem, idSegmentProblem, sourceOfElementUrl } from './path-segments.js';

describe(parseElementIds.name, () => {
  it.each([
    ['["track-1","catalog-1"]', ['track-1', 'catalog-1']],
    ["['track-1','catalog-1']", ['track-1', 'catalog-1']],
    ['[ \'a\', "b" ]', ['a', 'b']],
    ['track-1', ['track-1']],
    ['  track-1  ', ['track-1']],
    ['["a","a","b"]', ['a', 'b']],
    ['["0c1b3f5e-21a2-4ef0-a0b5-d1f5d7c0a111"]', ['0c1b3f5e-21a2-4ef0-a0b5-d1f5d7c0a111']],
    ['[]', []],
    ['  [ ]  ', []],
  ])('reads %s', (raw, ids) => {
    expect(parseElementIds(raw)).toEqual(ids);
  });

  it.each(['   ', '[1]', '["a",', '{"a":1}', '[""]', '["../x"]', '["a/b"]', '..', '.hidden', 'a b'])(
    'refuses %s',
    (raw) => {
      expect(() => parseElementIds(raw)).toThrow(FormFieldError);
    },
  );
});

describe(parseFlag.name, () => {
  it('defaults when absent and reads true/false in any case', () => {
    expect(parseFlag('x', undefined, true)).toBe(true);
    expect(parseFlag('x', '', false)).toBe(false);
    expect(parseFlag('x', 'TRUE', false)).toBe(true);
    expect(parseFlag('x', ' false ', true)).toBe(false);
  });

  it('refuses anything else, naming the field', () => {
    expect(() => parseFlag('checkAvailability', 'yes', true)).toThrow('checkAvailability must be true or false');
  });
});

describe(idSegmentProblem.name, () => {
  it.each(['engage-player', 'mh_default_org', 'track-1', 'a.b', 'user@org', 'x+y~z'])('accepts %s', (value) => {
    expect(idSegmentProblem('The id', value)).toBeNull();
  });

  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', '/abs', '-flag', '.hidden', 'a b', 'x'.repeat(256), 'a\u0000b'])(
    'refuses %j',
    (value) => {
      expect(idSegmentProblem('The id', value)).toContain('The id');
    },
  );
});

describe(fileNameProblem.name, () => {
  it.each(['video.mp4', 'My Talk (1).mp4', 'vidéo.mp4', 'seg-0001.ts'])('accepts %s', (name) => {
    expect(fileNameProblem(name)).toBeNull();
  });

  it.each(['', '.', '..', '.video.mp4.tmp', 'a/b.mp4', '..\\b', 'a\nb', 'x'.repeat(256)])('refuses %j', (name) => {
    expect(fileNameProblem(name)).not.toBeNull();
  });
});

describe(fileNameOf.name, () => {
  it('takes the last path segment, without query or fragment, percent-decoded', () => {
    expect(fileNameOf('http://host/files/mp/el/My%20Talk.mp4?x=1#t=2')).toBe('My Talk.mp4');
    expect(fileNameOf('file:///srv/media/video.mp4')).toBe('video.mp4');
    expect(fileNameOf('http://host/..%2F..%2Fpasswd')).toBe('../../passwd');
    expect(fileNameOf('http://host/dir/')).toBe('');
  });

  it('reads plain paths as written: no query, fragment or percent-decoding', () => {
    expect(fileNameOf('talks/Q&A #2?.mp4')).toBe('Q&A #2?.mp4');
    expect(fileNameOf('/srv/media/100%25.mp4')).toBe('100%25.mp4');
    expect(fileNameOf('video.mp4')).toBe('video.mp4');
  });
});

describe(sourceOfElementUrl.name, () => {
  it('percent-decodes relative and root-relative references like any URI, and keeps URLs as they are', () => {
    expect(sourceOfElementUrl('episode%20notes.xml')).toBe('episode notes.xml');
    expect(sourceOfElementUrl('/srv/media/100%25.mp4?x=1#t')).toBe('/srv/media/100%.mp4');
    expect(sourceOfElementUrl('talks/bad%zz.mp4')).toBe('talks/bad%zz.mp4');
    expect(sourceOfElementUrl('file:///srv/media/a%20b.mp4')).toBe('file:///srv/media/a%20b.mp4');
  });
});
