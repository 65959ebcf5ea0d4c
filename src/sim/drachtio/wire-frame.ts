/**
 * drachtio's framing on the app ⇄ server TCP connection: `<LEN>#<BODY>`, LEN the decimal UTF-8
 * byte length of BODY, no terminator. TCP splits and coalesces frames freely, so decoding is
 * incremental.
 */

const HASH = 0x23;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/** drachtio-server reads at most 5 length digits; a 6th (or any non-digit) drops the client. */
export const SERVER_MAX_LENGTH_DIGITS = 5;

export function encodeFrame(body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length}#`, 'latin1'), bytes]);
}

export class FrameError extends Error {
  override name = 'FrameError';
}

export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLengthDigits = Number.POSITIVE_INFINITY) {}

  /** Feeds one chunk; returns the bodies it completed. Throws FrameError on a bad length prefix. */
  push(chunk: Buffer): string[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const bodies: string[] = [];
    for (;;) {
      const hash = this.buffered.indexOf(HASH);
      const prefixLength = hash === -1 ? this.buffered.length : hash;
      // Check the prefix before the '#' arrives: the server rejects byte by byte, so must we.
      for (let i = 0; i < prefixLength; i++) {
        const c = this.buffered[i]!;
        if (c < DIGIT_0 || c > DIGIT_9) {
          throw new FrameError(`non-digit ${JSON.stringify(String.fromCharCode(c))} in a frame length`);
        }
      }
      if (prefixLength > this.maxLengthDigits) {
        throw new FrameError(`frame length has more than ${this.maxLengthDigits} digits`);
      }
      if (hash === -1) return bodies;
      const length = Number(this.buffered.toString('latin1', 0, hash));
      if (hash === 0 || length === 0) throw new FrameError('empty frame length');
      const end = hash + 1 + length;
      if (this.buffered.length < end) return bodies;
      bodies.push(this.buffered.toString('utf8', hash + 1, end));
      this.buffered = this.buffered.subarray(end);
    }
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }
}
