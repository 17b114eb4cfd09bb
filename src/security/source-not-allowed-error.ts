/** A source, path or host that the configured roots and allowed hosts do not permit; the message says why. */
export class SourceNotAllowedError extends Error {}
