import { InvalidRequestError } from '../common/invalid-request.error.js';

/**
 * A source, path or host that the configured roots and allowed hosts do not permit; the message
 * says why. Where a request named it, it is answered 400 like any other InvalidRequestError.
 */
export class SourceNotAllowedError extends InvalidRequestError {}
