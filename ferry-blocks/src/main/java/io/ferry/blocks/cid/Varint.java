package io.ferry.blocks.cid;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.ByteArrayOutputStream;

/**
 * The multiformats unsigned varint: seven bits per byte, least significant group first, the high
 * bit set on every byte but the last. Decoding is strict, as the spec requires: at most 9 bytes,
 * and no redundant trailing zero group (so each number has one encoding).
 */
final class Varint {
  /** The spec's bound: 9 bytes carry 63 bits. */
  static final int LONGEST_BYTES = 9;

  private Varint() {}

  static void write(ByteArrayOutputStream out, long value) {
    if (value < 0) {
      throw new IllegalArgumentException("a varint is unsigned: " + value);
    }
    while (value >= 0x80) {
      out.write((int) (value & 0x7f) | 0x80);
      value >>>= 7;
    }
    out.write((int) value);
  }

  /** A decoded number and where the next field starts. */
  record Read(long value, int next) {}

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} when truncated, longer than 9 bytes
   *     or not minimal
   */
  static Read read(byte[] in, int at) {
    long value = 0;
    for (int i = 0; i < LONGEST_BYTES; i++) {
      if (at + i >= in.length) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "a varint is cut short");
      }
      int b = in[at + i] & 0xff;
      value |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new FerryException(ErrorCode.INVALID_ENCODING, "a varint is not minimally encoded");
        }
        return new Read(value, at + i + 1);
      }
    }
    throw new FerryException(ErrorCode.INVALID_ENCODING, "a varint is longer than 9 bytes");
  }
}
