package io.ferry.snapshot;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * The records of a chunk: a self-delimiting sequence, each record {@code uvarint(key length) ‖ key
 * ‖ uvarint(value length + 1) ‖ value} for a put, or {@code uvarint(key length) ‖ key ‖ 0x00} for a
 * delete. A chunk holds whole records, so each chunk decodes on its own.
 */
final class ChunkCodec {
  private ChunkCodec() {}

  /** Bytes {@code change} takes as a record. */
  static int recordSize(KeyChange change) {
    int k = change.key().length();
    int size = uvarintSize(k) + k;
    if (change.value().isPresent()) {
      int v = change.value().get().length();
      size += uvarintSize(v + 1) + v;
    } else {
      size += 1;
    }
    return size;
  }

  /** Writes {@code change} at {@code pos} of {@code buf}; returns the position after it. */
  static int write(KeyChange change, byte[] buf, int pos) {
    byte[] key = change.key().unsafeArray();
    pos = writeUvarint(key.length, buf, pos);
    System.arraycopy(key, 0, buf, pos, key.length);
    pos += key.length;
    if (change.value().isPresent()) {
      byte[] value = change.value().get().unsafeArray();
      pos = writeUvarint(value.length + 1, buf, pos);
      System.arraycopy(value, 0, buf, pos, value.length);
      pos += value.length;
    } else {
      buf[pos++] = 0;
    }
    return pos;
  }

  static int uvarintSize(int v) {
    int n = 1;
    while ((v & ~0x7f) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private static int writeUvarint(int v, byte[] buf, int pos) {
    while ((v & ~0x7f) != 0) {
      buf[pos++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
    return pos;
  }

  /**
   * Reads the records of one chunk in order. Every length is checked against the bytes left and
   * against {@link Limits} before anything is copied; a malformed record is {@link
   * ErrorCode#CORRUPT_DATA} naming the chunk. Not thread-safe.
   */
  static final class Decoder {
    private final byte[] buf;
    private final int end;
    private final String where;
    private int pos;
    private Bytes lastKey;

    Decoder(byte[] buf, int length, String where) {
      this.buf = buf;
      this.end = length;
      this.where = where;
    }

    boolean hasNext() {
      return pos < end;
    }

    KeyChange next() {
      Bytes key = readKey();
      Bytes value = readValue();
      return value == null ? KeyChange.delete(key) : new KeyChange(key, Optional.of(value));
    }

    /** The next record as a key-value (no intermediate objects), or null if it is a delete. */
    KeyValue nextPut() {
      Bytes key = readKey();
      Bytes value = readValue();
      return value == null ? null : new KeyValue(key, value);
    }

    /** The key of the record read last. */
    Bytes lastKey() {
      return lastKey;
    }

    private Bytes readKey() {
      int keyLength = readUvarint();
      if (keyLength > Limits.MAX_KEY_BYTES) {
        throw corrupt(
            "a key of " + keyLength + " bytes, over the limit of " + Limits.MAX_KEY_BYTES);
      }
      lastKey = Bytes.wrap(take(keyLength));
      return lastKey;
    }

    /** The value of the record being read, or null for a delete. */
    private Bytes readValue() {
      int valueTag = readUvarint();
      if (valueTag == 0) {
        return null;
      }
      int valueLength = valueTag - 1;
      if (valueLength > Limits.MAX_VALUE_BYTES) {
        throw corrupt(
            "a value of " + valueLength + " bytes, over the limit of " + Limits.MAX_VALUE_BYTES);
      }
      return Bytes.wrap(take(valueLength));
    }

    private byte[] take(int n) {
      if (n > end - pos) {
        throw corrupt("a record runs past the end of the chunk");
      }
      byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return out;
    }

    private int readUvarint() {
      long v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        if (pos >= end) {
          throw corrupt("a record runs past the end of the chunk");
        }
        int b = buf[pos++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          if (v > Integer.MAX_VALUE) {
            break;
          }
          return (int) v;
        }
      }
      throw corrupt("a malformed length");
    }

    private FerryException corrupt(String what) {
      return new FerryException(ErrorCode.CORRUPT_DATA, where + ": " + what + " at byte " + pos);
    }
  }
}
