package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The stored form of a sync's progress (its target and completed ranges), as {@link KvSyncStore}
 * keeps it in one record:
 *
 * <pre>
 * version   1 byte, {@value #VERSION}
 * target    32 bytes
 * count     unsigned LEB128 varint
 * count times:
 *   flags   1 byte: bit 0 start present, bit 1 end present, other bits zero
 *   start   varint length + bytes, if present
 *   end     varint length + bytes, if present
 *   root    32 bytes
 * crc       4 bytes, big-endian CRC32C of everything before it
 * </pre>
 *
 * <p>{@link #decode} checks every length, the flags, range order, trailing bytes and the checksum,
 * and fails with {@link ErrorCode#CORRUPT_DATA} on any mismatch. Stateless and thread-safe.
 *
 * @param target the sync target
 * @param ranges the completed ranges, in the order stored
 */
record ProgressRecord(Hash target, List<CompletedRange> ranges) {
  static final int VERSION = 2;

  /**
   * The version of stores whose staged values carry no digest (before {@link KvSyncStore} kept
   * them): such a store is discarded on open, and its sync starts over.
   */
  static final int VERSION_WITHOUT_DIGESTS = 1;

  private static final int START = 1;
  private static final int END = 2;
  private static final int CRC_BYTES = 4;

  /**
   * Whether {@code data} is a whole record of {@link #VERSION_WITHOUT_DIGESTS} (its checksum
   * matches), not a damaged one.
   */
  static boolean isWithoutDigests(byte[] data) {
    if (data.length < 1 + Hash.LENGTH + 1 + CRC_BYTES || data[0] != VERSION_WITHOUT_DIGESTS) {
      return false;
    }
    return checksumMatches(data);
  }

  /** Whether the record's last bytes are the CRC32C of the rest. */
  private static boolean checksumMatches(byte[] data) {
    int bodyLength = data.length - CRC_BYTES;
    CRC32C crc = new CRC32C();
    crc.update(data, 0, bodyLength);
    int stored =
        ((data[bodyLength] & 0xff) << 24)
            | ((data[bodyLength + 1] & 0xff) << 16)
            | ((data[bodyLength + 2] & 0xff) << 8)
            | (data[bodyLength + 3] & 0xff);
    return stored == (int) crc.getValue();
  }

  ProgressRecord {
    ranges = List.copyOf(ranges);
  }

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + ranges.size() * 80);
    out.write(VERSION);
    out.writeBytes(target.toBytes());
    writeVarint(out, ranges.size());
    for (CompletedRange c : ranges) {
      KeyRange r = c.range();
      out.write((r.start().isPresent() ? START : 0) | (r.end().isPresent() ? END : 0));
      r.start().ifPresent(b -> writeBytes(out, b));
      r.end().ifPresent(b -> writeBytes(out, b));
      out.writeBytes(c.root().toBytes());
    }
    CRC32C crc = new CRC32C();
    byte[] body = out.toByteArray();
    crc.update(body);
    int sum = (int) crc.getValue();
    out.write(sum >>> 24);
    out.write(sum >>> 16);
    out.write(sum >>> 8);
    out.write(sum);
    return out.toByteArray();
  }

  /**
   * Parses a record written by {@link #encode}.
   *
   * @throws FerryException {@link ErrorCode#CORRUPT_DATA} if it is not one
   */
  static ProgressRecord decode(byte[] data) {
    if (data.length < 1 + Hash.LENGTH + 1 + CRC_BYTES) {
      throw corrupt("it is " + data.length + " bytes, too short for any record");
    }
    if (data[0] != VERSION) {
      throw corrupt("unknown format version " + (data[0] & 0xff) + " (expected " + VERSION + ")");
    }
    int bodyLength = data.length - CRC_BYTES;
    if (!checksumMatches(data)) {
      throw corrupt("checksum mismatch");
    }
    Reader in = new Reader(data, bodyLength);
    in.pos = 1;
    Hash target = in.hash();
    long count = in.varint();
    // Each range takes at least a flags byte and a root.
    if (count > (long) in.remaining() / (1 + Hash.LENGTH)) {
      throw corrupt("it claims " + count + " ranges in " + in.remaining() + " bytes");
    }
    List<CompletedRange> ranges = new ArrayList<>((int) count);
    for (long i = 0; i < count; i++) {
      int flags = in.u8();
      if ((flags & ~(START | END)) != 0) {
        throw corrupt("range " + i + " has unknown flags " + flags);
      }
      Optional<Bytes> start = (flags & START) != 0 ? Optional.of(in.bytes()) : Optional.empty();
      Optional<Bytes> end = (flags & END) != 0 ? Optional.of(in.bytes()) : Optional.empty();
      if (start.isPresent() && end.isPresent() && start.get().compareTo(end.get()) > 0) {
        throw corrupt("range " + i + " starts after its end");
      }
      ranges.add(new CompletedRange(new KeyRange(start, end), in.hash()));
    }
    if (in.remaining() != 0) {
      throw corrupt(in.remaining() + " unexpected bytes after the last range");
    }
    return new ProgressRecord(target, ranges);
  }

  private static FerryException corrupt(String why) {
    return new FerryException(ErrorCode.CORRUPT_DATA, "corrupt sync progress record: " + why);
  }

  private static void writeBytes(ByteArrayOutputStream out, Bytes b) {
    writeVarint(out, b.length());
    out.writeBytes(b.unsafeArray());
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** Bounds-checked reads of the body (the bytes before the checksum). */
  private static final class Reader {
    private final byte[] data;
    private final int limit;
    private int pos;

    Reader(byte[] data, int limit) {
      this.data = data;
      this.limit = limit;
    }

    int remaining() {
      return limit - pos;
    }

    private void need(int n, String what) {
      if (n > remaining()) {
        throw corrupt("truncated " + what + " at byte " + pos);
      }
    }

    int u8() {
      need(1, "range");
      return data[pos++] & 0xff;
    }

    Hash hash() {
      need(Hash.LENGTH, "root");
      byte[] h = new byte[Hash.LENGTH];
      System.arraycopy(data, pos, h, 0, Hash.LENGTH);
      pos += Hash.LENGTH;
      return Hash.wrap(h);
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        need(1, "length");
        int b = data[pos++] & 0xff;
        v |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw corrupt("a length that does not end by byte " + pos);
    }

    Bytes bytes() {
      long n = varint();
      if (n > remaining()) {
        throw corrupt("a key of " + n + " bytes with " + remaining() + " left at byte " + pos);
      }
      byte[] b = new byte[(int) n];
      System.arraycopy(data, pos, b, 0, b.length);
      pos += b.length;
      return Bytes.wrap(b);
    }
  }
}
