/**
 * A server-side DOM document (linkedom) for drawing figures in Node, where there is no browser
 * `document`: `renderFigureSvg(figure, { document: svgDocument() })`.
 */
import { parseHTML } from 'linkedom';
import type { Document } from './figures-svg.js';

let cached: Document | undefined;

export function svgDocument(): Document {
  cached ??= parseHTML('<!DOCTYPE html><html><head></head><body></body></html>').document as unknown as Document;
  return cached;
}
