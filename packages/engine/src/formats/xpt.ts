/**
 * SAS transport files (XPORT), versions 5 and 8, as SAS documents them (TS-140, "The record layout of a
 * data set in SAS transport (XPORT) format", and its version 8 supplement): 80-byte records, a library
 * header, then per member (data set) a member header, the NAMESTR records (one per variable: type,
 * length, name, label, format, position) and the observations, fixed-length rows of IBM System/370
 * floating point numbers and blank-padded text.
 *
 * Written here rather than taken from npm: the one maintained reader (xport-js) is asynchronous and
 * reads from a path, converts IBM floats bit by bit, does not read version 8 long names and labels, and
 * can turn the blank padding at the end of a file into rows. The format is small and fixed since 1989.
 *
 * - Numbers: IBM hex floats of 2 to 8 bytes, converted exactly (an IEEE double's 53-bit significand fits
 *   the 56-bit IBM fraction, so SAS's IEEE → IBM → IEEE round trip loses nothing). SAS's missing values
 *   `.`, `._` and `.A`–`.Z` (the first byte `.`, `_` or a letter, the rest zeros) are missing.
 * - Text: trailing blanks dropped; UTF-8 when the bytes are valid UTF-8, else Windows-1252; blank is missing.
 * - A numeric variable with a date, datetime or time format (DATE9., YYMMDD10., E8601DA., DATETIME20., TIME8.)
 *   is ISO text (formats/dataset.ts).
 * - The first member is read; a file with several says so in a note.
 */
import { DataError, type Dataset, type DataNote } from '../data.js';
import { buildDataset, decodeText, sasColumn, textValue, trimBytes, type TypedColumn } from './dataset.js';

const REC = 80;
const HEADER = 'HEADER RECORD*******';

interface Namestr {
  type: 'numeric' | 'text';
  length: number;
  number: number;
  name: string;
  label: string;
  format: string;
  position: number;
}

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]);
  return s;
}

/** A number in IBM System/370 floating point (big-endian, 2 to 8 bytes), or null for SAS's missing values. */
export function ibmFloat(b: Uint8Array, off: number, len: number): number | null {
  const b0 = b[off];
  let restZero = true;
  for (let k = 1; k < len; k++) {
    if (b[off + k] !== 0) {
      restZero = false;
      break;
    }
  }
  if (restZero && (b0 === 0x2e || b0 === 0x5f || (b0 >= 0x41 && b0 <= 0x5a))) return null;
  const byte = (k: number) => (k < len ? b[off + k] : 0);
  const hi = byte(1) * 65536 + byte(2) * 256 + byte(3);
  const lo = ((byte(4) << 24) >>> 0) + byte(5) * 65536 + byte(6) * 256 + byte(7);
  const fraction = hi * 4294967296 + lo;
  if (fraction === 0) return 0;
  const exponent = (b0 & 0x7f) - 64;
  const value = fraction * 2 ** (4 * exponent - 56);
  return b0 & 0x80 ? -value : value;
}

export function isXpt(bytes: Uint8Array): boolean {
  return ascii(bytes, 0, 20) === HEADER && (ascii(bytes, 20, 48) === 'LIBRARY HEADER RECORD!!!!!!!' || ascii(bytes, 20, 48) === 'LIBV8   HEADER RECORD!!!!!!!');
}

export function readXpt(bytes: Uint8Array, path?: string): Dataset {
  const where = path ?? 'data';
  const fail = (what: string) => new DataError(`${where} is not a readable SAS transport (XPT) file: ${what}`);
  if (bytes.length === 0) throw fail('the file is empty');
  if (!isXpt(bytes)) {
    if (ascii(bytes, 0, 40).includes('**COMPRESSED**')) throw fail('it is a PROC CPORT file, which only SAS reads: write it with PROC XPORT, the XPORT engine or %loc2xpt');
    throw fail('it does not start with the library header record (HEADER RECORD*******LIBRARY HEADER RECORD)');
  }
  if (bytes.length % REC !== 0) throw fail(`its length, ${bytes.length} bytes, is not a multiple of 80: the file is truncated or damaged`);
  const v8 = ascii(bytes, 20, 28) === 'LIBV8   ';
  const record = (k: number) => ascii(bytes, k * REC, k * REC + REC);
  const records = bytes.length / REC;
  const isHeader = (k: number, kind: string) => k < records && record(k).startsWith(HEADER + kind);
  const missing = (what: string, k: number) => fail(`${what} is missing${k >= records ? `: the file ends at byte ${bytes.length}, it is truncated` : ''}`);
  const memberKind = v8 ? 'MEMBV8  HEADER RECORD' : 'MEMBER  HEADER RECORD';

  let k = 3;
  if (!isHeader(k, memberKind)) throw fail(records <= 3 ? 'the file ends after the library header: it holds no data set' : 'the member header record is missing after the library header');
  const namestrLength = parseInt(record(k).slice(74, 78), 10);
  if (namestrLength !== 140 && namestrLength !== 136) throw fail(`the member header gives a NAMESTR length of ${record(k).slice(74, 78)} (140 or 136 expected)`);
  if (!isHeader(k + 1, v8 ? 'DSCPTV8 HEADER RECORD' : 'DSCRPTR HEADER RECORD')) throw missing('the descriptor header record', k + 1);
  const member1 = record(k + 2);
  const dsName = (v8 ? member1.slice(8, 40) : member1.slice(8, 16)).trim();
  const dsLabel = decodeText(trimBytes(bytes.subarray((k + 3) * REC + 32, (k + 3) * REC + 72))).trim();
  k += 4;
  if (!isHeader(k, v8 ? 'NAMSTV8 HEADER RECORD' : 'NAMESTR HEADER RECORD')) throw missing('the NAMESTR header record', k);
  const declared = parseInt(record(k).slice(54, 58), 10);
  k += 1;
  // the NAMESTR records run to the next header record: LABELV8/LABELV9 (version 8) or OBS
  let next = k;
  while (next < records && !record(next).startsWith(HEADER)) next++;
  if (next >= records) throw fail('the observation header record is missing: the file is truncated');
  const count = Math.floor(((next - k) * REC) / namestrLength);
  if (!v8 && Number.isFinite(declared) && declared !== count) {
    throw fail(`the NAMESTR header declares ${declared} variables, but the records hold ${count}`);
  }
  if (count === 0) throw fail(`data set ${dsName} has no variables`);
  const base = k * REC;
  const vars: Namestr[] = [];
  for (let i = 0; i < count; i++) {
    const o = base + i * namestrLength;
    const view = new DataView(bytes.buffer, bytes.byteOffset + o, namestrLength);
    const ntype = view.getUint16(0);
    const length = view.getUint16(4);
    const shortName = ascii(bytes, o + 8, o + 16).trim();
    const longName = v8 && namestrLength >= 120 ? ascii(bytes, o + 88, o + 120).trim() : '';
    const name = longName || shortName;
    const label = decodeText(trimBytes(bytes.subarray(o + 16, o + 56))).trim();
    const formatName = ascii(bytes, o + 56, o + 64).trim();
    const formatWidth = view.getUint16(64);
    const position = view.getUint32(84);
    if (ntype !== 1 && ntype !== 2) throw fail(`variable ${i + 1} (${name || '?'}) has type ${ntype} (1, numeric, or 2, text, expected)`);
    if (!name) throw fail(`variable ${i + 1} has no name`);
    if (length === 0 || (ntype === 1 && (length < 2 || length > 8))) throw fail(`variable ${name} has length ${length}`);
    vars.push({
      type: ntype === 1 ? 'numeric' : 'text',
      length,
      number: view.getUint16(6),
      name,
      label,
      format: formatName ? `${formatName}${formatWidth || ''}.` : '',
      position,
    });
  }
  k = next;
  // version 8: labels longer than 40 characters, and long format names, in LABELV8 / LABELV9 records
  while (v8 && (isHeader(k, 'LABELV8 HEADER RECORD') || isHeader(k, 'LABELV9 HEADER RECORD'))) {
    const v9 = isHeader(k, 'LABELV9 HEADER RECORD');
    const n = parseInt(record(k).slice(48, 78).trim(), 10) || 0;
    let o = (k + 1) * REC;
    for (let i = 0; i < n; i++) {
      if (o + (v9 ? 10 : 6) > bytes.length) throw fail('the LABELV8 records are truncated');
      const view = new DataView(bytes.buffer, bytes.byteOffset + o);
      const number = view.getUint16(0);
      const nameLength = view.getUint16(2);
      const labelLength = view.getUint16(4);
      const formatLength = v9 ? view.getUint16(6) : 0;
      const informatLength = v9 ? view.getUint16(8) : 0;
      o += v9 ? 10 : 6;
      const label = decodeText(bytes.subarray(o + nameLength, o + nameLength + labelLength)).trim();
      const format = ascii(bytes, o + nameLength + labelLength, o + nameLength + labelLength + formatLength).trim();
      o += nameLength + labelLength + formatLength + informatLength;
      const v = vars.find((x) => x.number === number);
      if (v) {
        if (label) v.label = label;
        if (format) v.format = format;
      }
    }
    k = Math.ceil(o / REC);
  }
  if (!isHeader(k, v8 ? 'OBSV8   HEADER RECORD' : 'OBS     HEADER RECORD')) throw missing('the observation header record', k);
  k += 1;
  const rowLength = Math.max(...vars.map((v) => v.position + v.length));
  for (const v of vars) if (v.position + v.length > rowLength) throw fail(`variable ${v.name} lies outside the observation`);
  // the observations run to the next member's header, or to the end of the file
  let end = k;
  let members = 1;
  while (end < records && !isHeader(end, memberKind)) end++;
  for (let m = end; m < records; m++) if (isHeader(m, memberKind)) members++;
  const start = k * REC;
  const dataLength = (end - k) * REC;
  let n = Math.floor(dataLength / rowLength);
  // the last record is padded with blanks: rows of blanks that start in it are padding
  const blank = (r: number) => {
    for (let i = start + r * rowLength; i < start + (r + 1) * rowLength; i++) if (bytes[i] !== 0x20) return false;
    return true;
  };
  while (n > 0 && (n - 1) * rowLength > dataLength - REC && blank(n - 1)) n--;

  const columns: TypedColumn[] = vars.map((v) => {
    if (v.type === 'numeric') {
      const values: (number | null)[] = new Array(n);
      for (let r = 0; r < n; r++) values[r] = ibmFloat(bytes, start + r * rowLength + v.position, v.length);
      return sasColumn(v.name, v.label || undefined, v.format, values);
    }
    const values: (string | null)[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const o = start + r * rowLength + v.position;
      values[r] = textValue(decodeText(trimBytes(bytes.subarray(o, o + v.length))));
    }
    return { name: v.name, kind: 'text', ...(v.label ? { label: v.label } : {}), values };
  });
  if (n === 0) throw new DataError(`${where} has no observations (data set ${dsName})`);
  const notes: DataNote[] = [
    {
      severity: 'info',
      code: 'data-format',
      message: `${where} is a SAS transport file (XPORT version ${v8 ? 8 : 5}): data set ${dsName}${dsLabel ? ` (${dsLabel})` : ''}, ${n} observations` +
        (members > 1 ? `; it holds ${members} data sets, and only the first is read` : ''),
    },
  ];
  try {
    return buildDataset(path, columns, notes);
  } catch (e) {
    throw fail((e as Error).message);
  }
}
