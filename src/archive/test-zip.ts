import { crc32, deflateRawSync } from 'node:zlib';

/** One entry of a hand-made zip; every header field a hostile archive could lie about can be set. */
export interface TestZipEntry {
  name: string | Buffer;
  data?: Buffer | string;
  /** 0 stored, 8 deflate (default for files), or anything else to test refusals. */
  method?: number;
  /** External attributes; defaults to a Unix regular file 0644 or folder 0755. */
  attr?: number;
  flags?: number;
  crc?: number;
  /** Declared uncompressed size. */
  size?: number;
  /** The bytes stored for the entry, instead of the compressed data. */
  compressed?: Buffer;
  extra?: Buffer;
  localName?: string;
}

const UTF8_FLAG = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 20;
const DOS_TIME = 0x0000;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;

export const unixAttr = (mode: number): number => (mode * 0x10000) >>> 0;

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** Writes a zip (local headers, data, central directory, end record) from the entries, in order. */
export function buildZip(entries: readonly TestZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = typeof entry.name === 'string' ? Buffer.from(entry.name, 'utf8') : entry.name;
    const isFolder = name.length > 0 && name[name.length - 1] === 0x2f;
    const data = Buffer.from(entry.data ?? '');
    const method = entry.method ?? (isFolder || data.length === 0 ? 0 : 8);
    const stored = entry.compressed ?? (method === 8 ? deflateRawSync(data) : data);
    const attr = entry.attr ?? (isFolder ? unixAttr(0o040755) | 0x10 : unixAttr(0o100644));
    const flags = entry.flags ?? UTF8_FLAG;
    const crc = entry.crc ?? crc32(data);
    const size = entry.size ?? data.length;
    const extra = entry.extra ?? Buffer.alloc(0);
    const localName = entry.localName === undefined ? name : Buffer.from(entry.localName, 'utf8');
    const common = [u16(flags), u16(method), u16(DOS_TIME), u16(DOS_DATE), u32(crc), u32(stored.length), u32(size)];
    const local = Buffer.concat([u32(0x04034b50), u16(20), ...common, u16(localName.length), u16(extra.length), localName, extra, stored]);
    centrals.push(Buffer.concat([u32(0x02014b50), u16(MADE_BY_UNIX), u16(20), ...common, u16(name.length), u16(extra.length), u16(0), u16(0), u16(0), u32(attr), u32(offset), name, extra]));
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(directory.length), u32(offset), u16(0)]);
  return Buffer.concat([...locals, directory, end]);
}

/** The smallest plugin a zip can hold: a backend marker, optionally a descriptor. */
export function minimalPlugin(prefix = '', descriptor?: object): TestZipEntry[] {
  const entries: TestZipEntry[] = [{ name: `${prefix}app.module.ts`, data: "import { Module } from '@nestjs/common';\n@Module({})\nexport class AppModule {}\n" }];
  if (descriptor) entries.unshift({ name: `${prefix}plugin.json`, data: JSON.stringify(descriptor) });
  return entries;
}
