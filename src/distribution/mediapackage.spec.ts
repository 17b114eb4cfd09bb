import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import {
  ELEMENT_SEPARATOR,
  joinElementDocuments,
  MediaPackage,
  MEDIAPACKAGE_NS,
  MediaPackageError,
} from './mediapackage.js';

const DEFAULT_NS = `<mediapackage xmlns="${MEDIAPACKAGE_NS}" id="mp-1"><media><track id="t1" type="presenter/source" ref="track:t0"><mimetype>video/mp4</mimetype><tags><tag>archive</tag></tags><url>file:///a/video.mp4</url><checksum type="md5">abc</checksum><unknown xmlns="urn:x" a="1">kept</unknown></track></media><metadata><catalog id="c1" type="dublincore/episode"><mimetype>text/xml</mimetype><url>http://h/episode.xml</url></catalog></metadata><attachments><attachment id="a1" type="presenter/preview"><url>http://h/cover.png</url></attachment></attachments><publications><publication id="p1" channel="engage-player"><media><track id="pt1" type="presenter/delivery"><url>http://h/static/x.mp4</url></track></media></publication></publications></mediapackage>`;
const PREFIXED = DEFAULT_NS.replace(/<(\/?)([a-z]+)/g, '<$1ns2:$2')
  .replace(`xmlns="${MEDIAPACKAGE_NS}"`, `xmlns:ns2="${MEDIAPACKAGE_NS}"`)
  .replace('<ns2:unknown xmlns="urn:x"', '<unknown xmlns="urn:x"')
  .replace('</ns2:unknown>', '</unknown>');

function parseRoot(xml: string): Element {
  return new DOMParser().parseFromString(xml, 'text/xml').documentElement!;
}

describe(MediaPackage.name, () => {
  it.each([
    ['default namespace', DEFAULT_NS],
    ['ns2 prefix', PREFIXED],
  ])('finds tracks, catalogs, attachments and publication elements (%s)', (_form, xml) => {
    const mediaPackage = MediaPackage.parse(xml);
    expect(mediaPackage.id).toBe('mp-1');
    expect(mediaPackage.findElement('t1', 'x')).toMatchObject({
      kind: 'track',
      id: 't1',
      url: 'file:///a/video.mp4',
      mimetype: 'video/mp4',
    });
    expect(mediaPackage.findElement('c1', 'x')?.kind).toBe('catalog');
    expect(mediaPackage.findElement('a1', 'x')?.kind).toBe('attachment');
    expect(mediaPackage.findElement('pt1', 'engage-player')?.url).toBe('http://h/static/x.mp4');
    expect(mediaPackage.findElement('nope', 'x')).toBeUndefined();
  });

  it('writes an element as its own document with only the url changed', () => {
    const element = MediaPackage.parse(PREFIXED).findElement('t1', 'x')!;
    const xml = element.toXml('http://cdn/static/o/c/mp-1/t1/video.mp4');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')).toBe(true);
    const root = parseRoot(xml);
    expect(root.namespaceURI).toBe(MEDIAPACKAGE_NS);
    expect(root.localName).toBe('track');
    expect(root.getAttribute('ref')).toBe('track:t0');
    expect(root.getElementsByTagNameNS(MEDIAPACKAGE_NS, 'url')[0].textContent).toBe(
      'http://cdn/static/o/c/mp-1/t1/video.mp4',
    );
    expect(root.getElementsByTagNameNS(MEDIAPACKAGE_NS, 'tag')[0].textContent).toBe('archive');
    expect(root.getElementsByTagNameNS('urn:x', 'unknown')[0].getAttribute('a')).toBe('1');
    // Unchanged apart from the url: the same document once the url is put back.
    expect(element.toXml('file:///a/video.mp4')).toBe(element.toXml());
  });

  it('escapes what it writes into <url>', () => {
    const xml = MediaPackage.parse(DEFAULT_NS).findElement('t1', 'x')!.toXml('http://h/a?b=1&c=<2>');
    expect(xml).toContain('<url>http://h/a?b=1&amp;c=&lt;2&gt;</url>');
  });

  it.each([
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e "e">]>${DEFAULT_NS}`, 'DOCTYPE'],
    ['an external entity', `<!DOCTYPE x SYSTEM "http://evil/x.dtd">${DEFAULT_NS}`, 'DOCTYPE'],
    ['malformed XML', '<mediapackage', 'not well-formed'],
    ['another root', '<catalog/>', 'must be a <mediapackage>'],
    ['no namespace', '<mediapackage id="x"/>', 'without a namespace'],
    ['no id', `<mediapackage xmlns="${MEDIAPACKAGE_NS}"/>`, 'no id'],
  ])('refuses %s', (_case, xml, message) => {
    expect(() => MediaPackage.parse(xml)).toThrow(MediaPackageError);
    expect(() => MediaPackage.parse(xml)).toThrow(message);
  });
});

describe(joinElementDocuments.name, () => {
  it('joins with ### and answers an empty string for no elements', () => {
    expect(joinElementDocuments(['<a/>', '<b/>'])).toBe(`<a/>${ELEMENT_SEPARATOR}<b/>`);
    expect(joinElementDocuments([])).toBe('');
  });
});
