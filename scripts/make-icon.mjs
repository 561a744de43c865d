// Draws the app icon (resources/icon.png, 1024x1024): a shield with a failover arrow. A script, not
// a binary blob, so the icon can be changed by editing code and re-running `node scripts/make-icon.mjs`.

import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';

const SIZE = 1024;
const SAMPLES = 3; // per axis, for anti-aliased edges
const out = resolve(import.meta.dirname, '..', 'resources', 'icon.png');

const BG = [15, 23, 32];
const SHIELD = [20, 184, 166];
const MARK = [255, 255, 255];

function inRoundedSquare(x, y) {
  const r = 0.2;
  const m = 0.04;
  const cx = Math.min(Math.max(x, m + r), 1 - m - r);
  const cy = Math.min(Math.max(y, m + r), 1 - m - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= m && x <= 1 - m && y >= m && y <= 1 - m;
}

function inShield(x, y) {
  const top = 0.2;
  const shoulder = 0.52;
  const tip = 0.86;
  const half = 0.3;
  if (y < top || y > tip) return false;
  const dx = Math.abs(x - 0.5);
  if (y <= shoulder) return dx <= half - 0.05 * Math.max(0, (0.26 - (y - top)) / 0.26) ** 4;
  const t = (y - shoulder) / (tip - shoulder);
  return dx <= half * Math.sqrt(Math.max(0, 1 - t * t));
}

/** A right-pointing arrow: the failover to the other side. */
function inMark(x, y) {
  const w = 0.045;
  const shaft = y >= 0.5 - w / 2 && y <= 0.5 + w / 2 && x >= 0.34 && x <= 0.6;
  const dy = Math.abs(y - 0.5);
  const head = x >= 0.52 && x <= 0.68 && dy <= (0.68 - x) * 0.9 && dy <= 0.13;
  return shaft || head;
}

function colourAt(x, y) {
  if (!inRoundedSquare(x, y)) return null;
  if (inMark(x, y)) return MARK;
  if (inShield(x, y)) return SHIELD;
  return BG;
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const c = colourAt((px + (sx + 0.5) / SAMPLES) / SIZE, (py + (sy + 0.5) / SAMPLES) / SIZE);
        if (!c) continue;
        r += c[0]; g += c[1]; b += c[2]; a += 1;
      }
    }
    const o = row + 1 + px * 4;
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round((255 * a) / (SAMPLES * SAMPLES));
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`Wrote ${out} (${SIZE}x${SIZE}, ${png.length} bytes)`);
