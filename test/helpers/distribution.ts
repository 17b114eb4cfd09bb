import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import request from 'supertest';
import { expect, vi } from 'vitest';

export const MP_NS = 'http://mediapackage.opencastproject.org';
export const JOB_NS = 'http://job.opencastproject.org';

export interface ElementSpec {
  id: string;
  kind?: 'track' | 'catalog' | 'attachment';
  flavor?: string;
  url: string;
  mimetype?: string;
  ref?: string;
  tags?: string[];
  checksum?: string;
  size?: number;
  /** Raw XML appended inside the element, e.g. something this service does not know. */
  extraXml?: string;
}

export interface MediaPackageSpec {
  id: string;
  elements: ElementSpec[];
  /** Write every mediapackage element with this prefix (`ns2`) instead of the default namespace. */
  prefix?: string;
  publications?: { id: string; channel: string; elements: ElementSpec[] }[];
}

/** A mediapackage in Opencast's format (MediaPackageParser.getAsXml), default-namespace or prefixed. */
export function mediaPackageXml(spec: MediaPackageSpec): string {
  const p = spec.prefix ? `${spec.prefix}:` : '';
  const ns = spec.prefix ? `xmlns:${spec.prefix}="${MP_NS}"` : `xmlns="${MP_NS}"`;
  const list = (elements: ElementSpec[]) => {
    const of = (kind: string, wrapper: string) => {
      const items = elements.filter((element) => (element.kind ?? 'track') === kind);
      return items.length
        ? `<${p}${wrapper}>${items.map((element) => elementXml(element, p)).join('')}</${p}${wrapper}>`
        : '';
    };
    return of('track', 'media') + of('catalog', 'metadata') + of('attachment', 'attachments');
  };
  const publications = spec.publications?.length
    ? `<${p}publications>${spec.publications
        .map(
          (publication) =>
            `<${p}publication id="${publication.id}" channel="${publication.channel}"><${p}mimetype>text/html</${p}mimetype><${p}url>http://engage/${publication.id}</${p}url>${list(publication.elements)}</${p}publication>`,
        )
        .join('')}</${p}publications>`
    : '';
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
    `<${p}mediapackage ${ns} id="${spec.id}" start="2024-05-06T10:00:00Z" duration="2000"><${p}title>Test</${p}title>` +
    `${list(spec.elements)}${publications}</${p}mediapackage>`
  );
}

function elementXml(element: ElementSpec, p: string): string {
  const kind = element.kind ?? 'track';
  const attributes = [`id="${element.id}"`, `type="${element.flavor ?? 'presenter/source'}"`];
  if (element.ref) attributes.push(`ref="${element.ref}"`);
  const tags = element.tags?.length
    ? `<${p}tags>${element.tags.map((tag) => `<${p}tag>${tag}</${p}tag>`).join('')}</${p}tags>`
    : '';
  const checksum = element.checksum ? `<${p}checksum type="md5">${element.checksum}</${p}checksum>` : '';
  const size = element.size !== undefined ? `<${p}size>${element.size}</${p}size>` : '';
  const trackParts =
    kind === 'track'
      ? `<${p}duration>2000</${p}duration><${p}video id="video-1"><${p}resolution>160x90</${p}resolution></${p}video>`
      : '';
  return (
    `<${p}${kind} ${attributes.join(' ')}><${p}mimetype>${element.mimetype ?? 'video/mp4'}</${p}mimetype>${tags}` +
    `<${p}url>${escapeXml(element.url)}</${p}url>${checksum}${size}${trackParts}${element.extraXml ?? ''}</${p}${kind}>`
  );
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Namespace-aware parsing, failing the test on any XML error, as Opencast's JAXB parser would. */
export function parseXml(xml: string): Document {
  return new DOMParser({
    onError: (level, message) => {
      throw new Error(`${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
}

/** Splits a `###`-joined answer into its element documents' roots, each checked to be a complete MP document. */
export function parseElementDocuments(body: string): Element[] {
  if (body === '') return [];
  return body.split('###').map((part) => {
    expect(part.startsWith('<?xml')).toBe(true);
    const root = parseXml(part).documentElement!;
    expect(root.namespaceURI).toBe(MP_NS);
    return root;
  });
}

export function child(element: Element, localName: string, ns = MP_NS): Element | undefined {
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (node as Element).localName === localName && (node as Element).namespaceURI === ns)
      return node as Element;
  }
  return undefined;
}

export function childText(element: Element, localName: string, ns = MP_NS): string | undefined {
  return child(element, localName, ns)?.textContent ?? undefined;
}

export function childNames(element: Element): string[] {
  const names: string[] = [];
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1) names.push(`{${(node as Element).namespaceURI}}${(node as Element).localName}`);
  }
  return names;
}

export interface ParsedJob {
  id: number;
  status: string;
  type: string;
  version: number;
  operation: string;
  args: string[];
  payload: string | undefined;
  root: Element;
}

/** Reads a `<job xmlns="http://job.opencastproject.org">` the way Opencast's JobParser sees it. */
export function parseJob(xml: string | Element): ParsedJob {
  const root = typeof xml === 'string' ? parseXml(xml).documentElement! : xml;
  expect(root.localName).toBe('job');
  expect(root.namespaceURI).toBe(JOB_NS);
  const args = child(root, 'args', JOB_NS);
  const argList: string[] = [];
  for (let node = args?.firstChild; node; node = node.nextSibling) argList.push(node.textContent ?? '');
  return {
    id: Number(root.getAttribute('id')),
    status: root.getAttribute('status')!,
    type: root.getAttribute('type')!,
    version: Number(root.getAttribute('version')),
    operation: childText(root, 'operation', JOB_NS)!,
    args: argList,
    payload: childText(root, 'payload', JOB_NS),
    root,
  };
}

/** Reads `<jobs xmlns="http://job.opencastproject.org">` as JaxbJobList. */
export function parseJobList(xml: string): ParsedJob[] {
  const root = parseXml(xml).documentElement!;
  expect(root.localName).toBe('jobs');
  expect(root.namespaceURI).toBe(JOB_NS);
  const jobs: ParsedJob[] = [];
  for (let node = root.firstChild; node; node = node.nextSibling)
    if (node.nodeType === 1) jobs.push(parseJob(node as Element));
  return jobs;
}

/** Polls /services/job/<id>.xml until the job has `status` (FAILED and FINISHED are final), then returns it. */
export function waitForJob(
  baseUrl: string,
  id: number,
  status: string,
  options: { headers?: Record<string, string>; timeout?: number } = {},
): Promise<ParsedJob> {
  return vi.waitFor(
    async () => {
      const response = await request(baseUrl)
        .get(`/services/job/${id}.xml`)
        .set(options.headers ?? {})
        .expect(200);
      const job = parseJob(response.text);
      expect(job.status, response.text).toBe(status);
      return job;
    },
    { timeout: options.timeout ?? 10_000, interval: 25 },
  );
}
