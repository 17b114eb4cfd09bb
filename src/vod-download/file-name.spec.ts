import { describe, expect, it } from 'vitest';
import { FileNameError, toSafeFileStem, toSafeMp4FileName } from './file-name.js';

describe('toSafeMp4FileName', () => {
  it.each([
    ['my-mp4-name.mp4', 'my-mp4-name.mp4'],
    ['my-mp4-name', 'my-mp4-name.mp4'],
    ['Report.MP4', 'Report.mp4'],
    ['Séance plénière <10 oct>.mp4', 'Seance_pleniere_10_oct.mp4'],
    ['..hidden.mp4', 'hidden.mp4'],
    ['a'.repeat(300), `${'a'.repeat(150)}.mp4`],
  ])('makes %j into %j', (requested, expected) => {
    expect(toSafeMp4FileName(requested)).toBe(expected);
  });

  it.each(['../etc/passwd', 'folder/file.mp4', 'C:\\videos\\file.mp4', '..', 'nul\0.mp4', '<>|.mp4'])(
    'refuses %j',
    (requested) => {
      expect(() => toSafeMp4FileName(requested)).toThrow(FileNameError);
    },
  );
});

describe('toSafeFileStem', () => {
  it('turns any title into ASCII letters, digits, dots, underscores and hyphens', () => {
    expect(toSafeFileStem('Plenary / Session: 10 October 2018')).toBe('Plenary_-_Session_10_October_2018');
    expect(toSafeFileStem('Łódź — Ünïcödé')).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(toSafeFileStem('???')).toBe('');
  });
});
