import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The file's bytes, or undefined when it holds more than `limit`. Only reading tells: stat's size
 * is 0 for a pipe (/dev/stdin) or a device (/dev/zero, which never ends), so no more than the
 * limit and one byte is read, in chunks (a large limit allocates only what the file holds).
 */
export function readAtMost(file: string, limit: number): Buffer | undefined {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total <= limit) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, n));
      total += n;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
