// Writes public/icons/icon-{192,512}.png: a database glyph on the brand blue, drawn pixel by pixel
// (no image tools needed). Run: node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

function crc32(buf) {
  let c,
    crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const blue = [29, 78, 216, 255],
    white = [255, 255, 255, 255];
  const cx = size / 2,
    rx = size * 0.3,
    ry = size * 0.1,
    stroke = size * 0.075;
  const top = size * 0.28,
    bottom = size * 0.74;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const dx = (x + 0.5 - cx) / rx;
      const onEllipse = (yc) => {
        const d = Math.sqrt(dx * dx + ((y + 0.5 - yc) / ry) ** 2);
        return Math.abs(d - 1) * Math.min(rx, ry) < stroke / 2;
      };
      const inTopDisk = dx * dx + ((y + 0.5 - top) / ry) ** 2 <= 1;
      const sides = Math.abs(Math.abs(x + 0.5 - cx) - rx) < stroke / 2 && y >= top && y <= bottom;
      const lowerArc = (yc) => onEllipse(yc) && y >= yc;
      const px = inTopDisk || sides || lowerArc(size * 0.51) || lowerArc(bottom) ? white : blue;
      raw.set(px, y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
for (const s of [192, 512]) writeFileSync(new URL(`../public/icons/icon-${s}.png`, import.meta.url), png(s));
