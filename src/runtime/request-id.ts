/**
 * Invocation ids: UUID-shaped like Lambda's request ids, but time-ordered (UUID version 7: 48 bits
 * of milliseconds, then random bits). The queue's primary key then grows at its right edge, which
 * halves the cost of an insert against random v4 ids and keeps the WAL small (bench/queue.ts).
 * Within one millisecond the 12 bits after the version are a counter (RFC 9562, section 6.2,
 * method 1), so the ids one process makes are strictly increasing: the log's newest-first order is
 * the order they were made in.
 *
 * @example
 * newRequestId(); // '019a6f1e-8c2b-7d4e-9a1b-3c5d7e9f1a2b'
 */
import { randomFillSync } from 'node:crypto';

/** Random bits drawn 4 KB at a time: one call to the system's generator per 400 ids, not one per id. */
const pool = Buffer.alloc(4096);
let offset = pool.length;
const bytes = Buffer.alloc(16);
let lastMs = 0;
let sequence = 0;

export function newRequestId(now = Date.now()): string {
  if (offset + 10 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(bytes, 6, offset, offset + 10);
  offset += 10;
  if (now > lastMs) {
    lastMs = now;
    // A random start in the lower half leaves room to count up within the millisecond.
    sequence = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
  } else if (++sequence > 0xfff) {
    // 2,048+ ids in one millisecond (or a clock that went back): borrow the next millisecond.
    lastMs += 1;
    sequence = 0;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
