import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { InvalidRequestError } from '../common/invalid-request.error.js';

export const MEDIAPACKAGE_NS = 'http://mediapackage.opencastproject.org';
export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
/** The Content-Type of every XML answer of the Opencast endpoints. */
export const XML_CONTENT_TYPE = 'text/xml; charset=UTF-8';
/** What Opencast puts between the XML documents of several elements. */
export const ELEMENT_SEPARATOR = '###';

const ELEMENT_KINDS = ['track', 'catalog', 'attachment'] as const;
export type ElementKind = (typeof ELEMENT_KINDS)[number];

/** XML that is refused: malformed, with a DTD, or not a mediapackage. */
export class MediaPackageError extends InvalidRequestError {}

/**
 * Parses untrusted XML namespace-aware. Any DOCTYPE is refused before parsing, so no DTD is read
 * and no entity is ever expanded (XXE, billion laughs); xmldom itself never fetches anything.
 */
export function parseUntrustedXml(xml: string, what: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) {
    throw new MediaPackageError(`The ${what} contains a DOCTYPE or ENTITY declaration, which is not accepted`);
  }
  try {
    return new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    throw new MediaPackageError(`The ${what} is not well-formed XML: ${(error as Error).message}`);
  }
}

/** One track, catalog or attachment of a mediapackage, possibly inside a publication. */
export class MediaPackageElement {
  constructor(
    readonly kind: ElementKind,
    private readonly node: Element,
  ) {}

  get id(): string {
    return this.node.getAttribute('id') ?? '';
  }

  get flavor(): string | null {
    return this.node.getAttribute('type');
  }

  get url(): string | null {
    return this.urlNode()?.textContent?.trim() || null;
  }

  get mimetype(): string | null {
    return childrenNamed(this.node, 'mimetype')[0]?.textContent?.trim() || null;
  }

  /**
   * The element as its own XML document, in the mediapackage namespace, with `url` replaced when
   * given. Everything else (attributes, tags, checksum, unknown children) is copied as it came.
   */
  toXml(url?: string): string {
    const document = this.node.ownerDocument!.implementation.createDocument(null, '', null);
    const copy = document.importNode(this.node, true) as Element;
    document.appendChild(copy);
    if (url !== undefined) {
      const urlNode = childrenNamed(copy, 'url')[0];
      if (!urlNode) throw new MediaPackageError(`Element ${this.id} has no <url>`);
      while (urlNode.firstChild) urlNode.removeChild(urlNode.firstChild);
      urlNode.appendChild(document.createTextNode(url));
    }
    return XML_DECLARATION + new XMLSerializer().serializeToString(document);
  }

  private urlNode(): Element | undefined {
    return childrenNamed(this.node, 'url')[0];
  }
}

export class MediaPackage {
  private constructor(
    readonly id: string,
    private readonly root: Element,
  ) {}

  /** Accepts the default-namespace form and prefixed forms (`ns2:mediapackage`) alike. */
  static parse(xml: string): MediaPackage {
    const document = parseUntrustedXml(xml, 'mediapackage');
    const root = document.documentElement;
    if (!root || root.localName !== 'mediapackage' || root.namespaceURI !== MEDIAPACKAGE_NS) {
      const found = root
        ? `<${root.tagName}>${root.namespaceURI ? ` in namespace ${root.namespaceURI}` : ' without a namespace'}`
        : 'nothing';
      throw new MediaPackageError(
        `The mediapackage must be a <mediapackage> in namespace ${MEDIAPACKAGE_NS}; found ${found}`,
      );
    }
    const id = root.getAttribute('id')?.trim();
    if (!id) throw new MediaPackageError('The mediapackage has no id attribute');
    return new MediaPackage(id, root);
  }

  /**
   * The element with this id among the tracks, catalogs and attachments, else inside a
   * publication (the one of `channelId` first), as Opencast looks them up.
   */
  findElement(elementId: string, channelId: string): MediaPackageElement | undefined {
    const topLevel = this.elementsIn(this.root).find((element) => element.id === elementId);
    if (topLevel) return topLevel;
    const publications = childrenNamed(this.root, 'publications').flatMap((list) => childrenNamed(list, 'publication'));
    publications.sort(
      (a, b) => Number(b.getAttribute('channel') === channelId) - Number(a.getAttribute('channel') === channelId),
    );
    for (const publication of publications) {
      const found = this.elementsIn(publication).find((element) => element.id === elementId);
      if (found) return found;
    }
    return undefined;
  }

  private elementsIn(parent: Element): MediaPackageElement[] {
    const lists: Record<ElementKind, string> = { track: 'media', catalog: 'metadata', attachment: 'attachments' };
    return ELEMENT_KINDS.flatMap((kind) =>
      childrenNamed(parent, lists[kind])
        .flatMap((list) => childrenNamed(list, kind))
        .map((node) => new MediaPackageElement(kind, node)),
    );
  }
}

/** Joins element documents the way Opencast's MediaPackageElementParser.getArrayAsXml does. */
export function joinElementDocuments(documents: readonly string[]): string {
  return documents.join(ELEMENT_SEPARATOR);
}

function childrenNamed(parent: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (
      node.nodeType === 1 &&
      (node as Element).localName === localName &&
      (node as Element).namespaceURI === MEDIAPACKAGE_NS
    ) {
      found.push(node as Element);
    }
  }
  return found;
}
