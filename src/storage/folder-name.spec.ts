import { describe, expect, it } from 'vitest';
import { folderNameFor } from './folder-name.js';

describe('folderNameFor', () => {
  it('keeps the ids the API accepted before as they are', () => {
    for (const id of ['64d45042-1f5b-4d02-a0b8-f1643e38a873', 'plenary_2018.10.10', 'A-b_c.d']) {
      expect(folderNameFor(id)).toBe(id);
    }
  });

  it('escapes every other character as the bytes of its UTF-8', () => {
    expect(folderNameFor('a+b c:é')).toBe('a~2Bb~20c~3A~C3~A9');
    expect(folderNameFor('~2B')).toBe('~7E2B');
    expect(folderNameFor('50%/../x')).toBe('50~25~2F..~2Fx');
    expect(folderNameFor('会议')).toBe('~E4~BC~9A~E8~AE~AE');
  });

  it('never makes a name that starts with a dot, so never "." or ".."', () => {
    expect(folderNameFor('.')).toBe('~2E');
    expect(folderNameFor('..')).toBe('~2E.');
    expect(folderNameFor('.hidden')).toBe('~2Ehidden');
  });

  it('gives every id its own name, also ids that differ only in characters it escapes', () => {
    const ids = ['a b', 'a+b', 'a~20b', 'a%20b', 'A b', 'a\u00a0b', 'ab'];
    expect(new Set(ids.map(folderNameFor)).size).toBe(ids.length);
  });

  it('makes long ids short enough for a file system, still one name per id', () => {
    const long = 'é'.repeat(256);
    const other = `${'é'.repeat(255)}e`;
    expect(folderNameFor(long).length).toBeLessThanOrEqual(200);
    expect(folderNameFor(long)).toMatch(/^(~[0-9A-F]{2})+~~[0-9a-f]{32}$/);
    expect(folderNameFor(long)).not.toBe(folderNameFor(other));
    expect(folderNameFor('x'.repeat(200))).toBe('x'.repeat(200));
    expect(folderNameFor('x'.repeat(201))).toMatch(/^x{166}~~[0-9a-f]{32}$/);
  });

  it('makes names that are URL path segments as they stand', () => {
    for (const id of ['a b', 'é?#&', '..', '%2E%2E']) {
      const name = folderNameFor(id);
      expect(encodeURIComponent(name)).toBe(name);
      expect(new URL(`http://h/downloads/${name}/f.mp4`).pathname).toBe(`/downloads/${name}/f.mp4`);
    }
  });
});
