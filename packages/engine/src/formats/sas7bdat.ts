/**
 * SAS data sets (.sas7bdat). SAS does not publish the format; this reader follows its public
 * reverse-engineered description (M. Shotwell's sas7bdat vignette for R, and the readers of ReadStat
 * and pandas built on it): a header (alignment, endianness, encoding, page size and count), then pages
 * whose subheaders describe the columns (names, offsets, lengths, types, formats, labels) and whose
 * rows hold IEEE doubles (possibly truncated to 3–7 bytes) and blank-padded text.
 *
 * Written here because no sound pure-JavaScript reader exists on npm (the `sas7bdat` package is a 2016
 * port that needs a native module, fs-ext). What it reads, checked on files the project makes
 * (packages/engine/test/fixtures/formats/: haven and ReadStat write them): 64-bit uncompressed and 32-bit
 * COMPRESS=CHAR (RLE, "SASYZCRL") files, little-endian; big-endian files take the same code with the
 * byte order swapped, untested for want of a writer. COMPRESS=BINARY (RDC, "SASYZCR2") is refused with a clear
 * message: no tool here writes such a file to test a decoder against.
 *
 * Numbers are NaN for every SAS missing value (`.`, `._`, `.A`–`.Z`): missing. Text: trailing blanks
 * dropped, decoded as the header's encoding says (UTF-8, Latin-1, Windows-1252; else UTF-8 when valid,
 * Windows-1252 otherwise); blank is missing. Date, datetime and time formats give ISO text.
 */
import { DataError, type Dataset, type DataNote } from '../data.js';
import { buildDataset, decodeText, sasColumn, textValue, trimBytes, type TypedColumn } from './dataset.js';

const MAGIC = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc2, 0xea, 0x81, 0x60, 0xb3, 0x14, 0x11, 0xcf, 0xbd, 0x92, 0x08, 0x00, 0x09, 0xc7, 0x31, 0x8c, 0x18, 0x1f, 0x10, 0x11];

const SIG_ROW_SIZE = 0xf7f7f7f7;
const SIG_COL_SIZE = 0xf6f6f6f6;
const SIG_COL_TEXT = 0xfffffffd;
const SIG_COL_NAME = 0xffffffff;
const SIG_COL_ATTR = 0xfffffffc;
const SIG_COL_FORMAT = 0xfffffbfe;

const PAGE_DATA = 0x0100;
const PAGE_MIX = 0x0200;
const PAGE_AMD = 0x0400;
const PAGE_TYPE_MASK = 0x0f00;
const PAGE_COMP = 0x9000;

export function isSas7bdat(bytes: Uint8Array): boolean {
  if (bytes.length < MAGIC.length) return false;
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** SAS's RLE (COMPRESS=CHAR) of one row; the commands as ReadStat and pandas decode them. */
export function rleDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const out = new Uint8Array(outputLength);
  let ip = 0;
  let op = 0;
  const need = (n: number) => {
    if (ip + n > input.length) throw new Error('a compressed row ends inside a command');
  };
  const copy = (n: number) => {
    need(n);
    if (op + n > outputLength) throw new Error('a compressed row is longer than the row length');
    out.set(input.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const fill = (n: number, byte: number) => {
    if (op + n > outputLength) throw new Error('a compressed row is longer than the row length');
    out.fill(byte, op, op + n);
    op += n;
  };
  while (ip < input.length) {
    const control = input[ip++];
    const command = control >> 4;
    const length = control & 0x0f;
    switch (command) {
      case 0: // copy 64+
        need(1);
        copy(input[ip++] + 64 + length * 256);
        break;
      case 4: {
        // insert a byte 18+ times
        need(2);
        const n = input[ip++] + 18 + length * 16;
        fill(n, input[ip++]);
        break;
      }
      case 5:
        need(1);
        fill(input[ip++] + 17 + length * 256, 0x40);
        break;
      case 6:
        need(1);
        fill(input[ip++] + 17 + length * 256, 0x20);
        break;
      case 7:
        need(1);
        fill(input[ip++] + 17 + length * 256, 0x00);
        break;
      case 8:
        copy(length + 1);
        break;
      case 9:
        copy(length + 17);
        break;
      case 10:
        copy(length + 33);
        break;
      case 11:
        copy(length + 49);
        break;
      case 12:
        need(1);
        fill(length + 3, input[ip++]);
        break;
      case 13:
        fill(length + 2, 0x40);
        break;
      case 14:
        fill(length + 2, 0x20);
        break;
      case 15:
        fill(length + 2, 0x00);
        break;
      default:
        throw new Error(`unknown RLE command ${command}`);
    }
  }
  if (op !== outputLength) throw new Error(`a compressed row decompresses to ${op} bytes where rows have ${outputLength}`);
  return out;
}

interface RowRef {
  page: number;
  offset: number;
  length: number;
  compressed: boolean;
}

export function readSas7bdat(bytes: Uint8Array, path?: string): Dataset {
  const where = path ?? 'data';
  const fail = (what: string) => new DataError(`${where} is not a readable SAS data set (sas7bdat): ${what}`);
  if (bytes.length < 288 || !isSas7bdat(bytes)) {
    throw fail(bytes.length < 288 ? `it has ${bytes.length} bytes, fewer than a sas7bdat header` : 'it does not start with the sas7bdat magic number');
  }
  const u64 = bytes[32] === 0x33;
  const align1 = bytes[35] === 0x33 ? 4 : 0;
  const little = bytes[37] === 0x01;
  const intLength = u64 ? 8 : 4;
  const pageBitOffset = u64 ? 32 : 16;
  const pointerLength = u64 ? 24 : 12;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number) => {
    if (o >= bytes.length) throw fail(`a field at byte ${o} lies past the end of the file`);
    return bytes[o];
  };
  const u16 = (o: number) => {
    if (o + 2 > bytes.length) throw fail(`a field at byte ${o} lies past the end of the file`);
    return view.getUint16(o, little);
  };
  const u32 = (o: number) => {
    if (o + 4 > bytes.length) throw fail(`a field at byte ${o} lies past the end of the file`);
    return view.getUint32(o, little);
  };
  const int = (o: number) => {
    if (intLength === 4) return u32(o);
    const a = u32(o);
    const b = u32(o + 4);
    return little ? b * 4294967296 + a : a * 4294967296 + b;
  };
  const encodingCode = bytes[70];
  const encoding = encodingCode === 20 ? 'utf-8' : encodingCode === 29 ? 'latin1' : encodingCode === 62 ? 'windows-1252' : 'auto';
  const text = (b: Uint8Array) => decodeText(b, encoding);
  const dsName = text(trimBytes(bytes.subarray(92, 156))).trim();
  const headerLength = u32(196 + align1);
  const pageLength = u32(200 + align1);
  const pageCount = u32(204 + align1);
  if (headerLength < 288 || pageLength === 0) throw fail(`the header gives a header length of ${headerLength} and a page length of ${pageLength}`);
  const expected = headerLength + pageCount * pageLength;
  if (bytes.length < expected) {
    throw fail(`the header declares ${pageCount} pages of ${pageLength} bytes after ${headerLength} bytes of header (${expected} bytes), but the file has ${bytes.length}: it is truncated`);
  }

  let rowLength = 0;
  let rowCount = -1;
  let mixPageRowCount = 0;
  let columnCount = -1;
  let compression: '' | 'RLE' | 'RDC' = '';
  const textBlocks: Uint8Array[] = [];
  const names: string[] = [];
  const attrs: { offset: number; length: number; type: number }[] = [];
  const formats: { format: string; label: string }[] = [];
  const rowRefs: RowRef[] = [];

  const textAt = (index: number, offset: number, length: number): string => {
    if (textBlocks.length === 0) throw fail('a column refers to text before any text subheader');
    const block = textBlocks[Math.min(index, textBlocks.length - 1)];
    return text(trimBytes(block.subarray(offset, offset + length))).trim();
  };

  for (let p = 0; p < pageCount; p++) {
    const po = headerLength + p * pageLength;
    const type = u16(po + pageBitOffset);
    if ((type & PAGE_COMP) === PAGE_COMP) continue;
    const kind = type & PAGE_TYPE_MASK;
    const blockCount = u16(po + pageBitOffset + 2);
    const subheaderCount = u16(po + pageBitOffset + 4);
    if (kind === PAGE_DATA) {
      if (rowLength === 0) throw fail(`page ${p + 1} holds rows before the row size is known`);
      for (let i = 0; i < blockCount; i++) rowRefs.push({ page: p, offset: po + pageBitOffset + 8 + i * rowLength, length: rowLength, compressed: false });
      continue;
    }
    if (kind !== 0 && kind !== PAGE_MIX && kind !== PAGE_AMD) continue;
    for (let i = 0; i < subheaderCount; i++) {
      const pp = po + pageBitOffset + 8 + i * pointerLength;
      const offset = int(pp);
      const length = int(pp + intLength);
      const comp = u8(pp + 2 * intLength);
      const ptype = u8(pp + 2 * intLength + 1);
      if (length === 0 || comp === 1) continue;
      if (offset + length > pageLength) throw fail(`a subheader on page ${p + 1} lies outside the page`);
      const so = po + offset;
      if (comp === 4 && ptype === 1) {
        rowRefs.push({ page: p, offset: so, length, compressed: true });
        continue;
      }
      let sig = u32(so);
      if (u64 && !little && sig === 0xffffffff) sig = u32(so + 4);
      switch (sig) {
        case SIG_ROW_SIZE:
          rowLength = int(so + 5 * intLength);
          rowCount = int(so + 6 * intLength);
          mixPageRowCount = int(so + 15 * intLength);
          break;
        case SIG_COL_SIZE:
          columnCount = int(so + intLength);
          break;
        case SIG_COL_TEXT: {
          // the block's own size field can fall short of its text (ReadStat writes it so): the subheader's length bounds it
          const size = Math.max(u16(so + intLength), length - intLength);
          const block = bytes.subarray(so + intLength, so + intLength + size);
          if (textBlocks.length === 0) {
            const s = decodeText(block, 'latin1');
            compression = s.includes('SASYZCRL') ? 'RLE' : s.includes('SASYZCR2') ? 'RDC' : '';
          }
          textBlocks.push(block);
          break;
        }
        case SIG_COL_NAME: {
          const n = Math.floor((length - 2 * intLength - 12) / 8);
          for (let j = 0; j < n; j++) {
            const b = so + intLength + 8 * (j + 1);
            names.push(textAt(u16(b), u16(b + 2), u16(b + 4)));
          }
          break;
        }
        case SIG_COL_ATTR: {
          const n = Math.floor((length - 2 * intLength - 12) / (intLength + 8));
          for (let j = 0; j < n; j++) {
            const b = so + j * (intLength + 8);
            attrs.push({ offset: int(b + intLength + 8), length: u32(b + 2 * intLength + 8), type: u8(b + 2 * intLength + 14) });
          }
          break;
        }
        case SIG_COL_FORMAT: {
          const b = so + 3 * intLength;
          formats.push({ format: textAt(u16(b + 22), u16(b + 24), u16(b + 26)), label: textAt(u16(b + 28), u16(b + 30), u16(b + 32)) });
          break;
        }
        default:
          // an uncompressed row stored as a subheader in a compressed file
          if (comp === 0 && ptype === 1 && compression !== '' && rowLength > 0 && length === rowLength) {
            rowRefs.push({ page: p, offset: so, length, compressed: false });
          }
      }
    }
    if (kind === PAGE_MIX) {
      if (rowLength === 0) throw fail(`page ${p + 1} holds rows before the row size is known`);
      let start = po + pageBitOffset + 8 + subheaderCount * pointerLength;
      start += (start - po) % 8 === 0 ? 0 : 8 - ((start - po) % 8);
      const n = Math.min(mixPageRowCount, Math.max(0, rowCount - rowRefs.length), Math.floor((po + pageLength - start) / rowLength));
      for (let i = 0; i < n; i++) rowRefs.push({ page: p, offset: start + i * rowLength, length: rowLength, compressed: false });
    }
  }

  if (rowCount < 0 || rowLength === 0) throw fail('it has no row size subheader');
  if (compression === 'RDC') throw new DataError(`${where}: sas7bdat with RDC compression (COMPRESS=BINARY) is not supported: export it as XPT (or save it with COMPRESS=CHAR or COMPRESS=NO)`);
  if (columnCount < 0) columnCount = attrs.length;
  if (columnCount === 0) throw fail('it has no columns');
  if (names.length < columnCount || attrs.length < columnCount) {
    throw fail(`it declares ${columnCount} columns but describes ${Math.min(names.length, attrs.length)}`);
  }
  if (rowRefs.length < rowCount) throw fail(`it declares ${rowCount} rows but holds ${rowRefs.length}: it is truncated or damaged`);
  rowRefs.length = rowCount;

  const rows: Uint8Array[] = rowRefs.map((r, i) => {
    const raw = bytes.subarray(r.offset, r.offset + r.length);
    if (raw.length < r.length) throw fail(`row ${i + 1} lies past the end of the file`);
    if (r.compressed && r.length < rowLength) {
      if (compression !== 'RLE') throw fail(`row ${i + 1} is compressed, but the file names no compression`);
      try {
        return rleDecompress(raw, rowLength);
      } catch (e) {
        throw fail(`row ${i + 1} (page ${r.page + 1}): ${(e as Error).message}`);
      }
    }
    return raw;
  });

  const scratch = new DataView(new ArrayBuffer(8));
  const columns: TypedColumn[] = [];
  for (let j = 0; j < columnCount; j++) {
    const a = attrs[j];
    const name = names[j];
    const { format, label } = formats[j] ?? { format: '', label: '' };
    if (a.offset + a.length > rowLength) throw fail(`column ${name} lies outside the row`);
    if (a.type === 1) {
      if (a.length < 1 || a.length > 8) throw fail(`numeric column ${name} has length ${a.length}`);
      const values = rows.map((row) => {
        for (let k = 0; k < 8; k++) scratch.setUint8(k, 0);
        // a truncated double keeps its most significant bytes
        for (let k = 0; k < a.length; k++) scratch.setUint8(little ? 8 - a.length + k : k, row[a.offset + k]);
        const x = scratch.getFloat64(0, little);
        return Number.isFinite(x) ? x : null;
      });
      columns.push(sasColumn(name, label || undefined, format, values));
    } else if (a.type === 2) {
      const values = rows.map((row) => textValue(text(trimBytes(row.subarray(a.offset, a.offset + a.length)))));
      columns.push({ name, kind: 'text', ...(label ? { label } : {}), values });
    } else {
      throw fail(`column ${name} has type ${a.type} (1, numeric, or 2, text, expected)`);
    }
  }
  if (rows.length === 0) throw new DataError(`${where} has no rows (data set ${dsName})`);
  const notes: DataNote[] = [
    {
      severity: 'info',
      code: 'data-format',
      message: `${where} is a SAS data set (sas7bdat, ${u64 ? '64' : '32'}-bit, ${little ? 'little' : 'big'}-endian${compression === 'RLE' ? ', COMPRESS=CHAR' : ''}): ${dsName || 'unnamed'}, ${rows.length} rows`,
    },
  ];
  try {
    return buildDataset(path, columns, notes);
  } catch (e) {
    throw fail((e as Error).message);
  }
}
