package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Key arithmetic for splitting the key space: split points between two keys, in unsigned byte
 * order. Ranges are inclusive at both ends, so a range cut after key k continues at {@link
 * KeyRange#successor}(k), the smallest key above k: the pieces partition the range exactly, and two
 * pieces are adjacent when one starts at the other's successor.
 */
public final class Keys {
  private Keys() {}

  /** Whether {@code next} starts exactly where {@code first} ends. */
  public static boolean adjacent(KeyRange first, KeyRange next) {
    return first.end().isPresent()
        && next.start().isPresent()
        && KeyRange.successor(first.end().get()).equals(next.start());
  }

  /**
   * Splits {@code range} into at most {@code parts} adjacent ranges that partition it, cutting at
   * numeric midpoints; fewer when the range is too narrow to split.
   */
  public static List<KeyRange> split(KeyRange range, int parts) {
    List<KeyRange> out = new ArrayList<>(List.of(range));
    boolean progress = true;
    while (out.size() < parts && progress) {
      progress = false;
      List<KeyRange> next = new ArrayList<>();
      for (int i = 0; i < out.size(); i++) {
        KeyRange r = out.get(i);
        int after = out.size() - i - 1;
        Optional<KeyRange[]> halves = next.size() + 1 + after < parts ? halve(r) : Optional.empty();
        if (halves.isPresent()) {
          next.add(halves.get()[0]);
          next.add(halves.get()[1]);
          progress = true;
        } else {
          next.add(r);
        }
      }
      out = next;
    }
    return out;
  }

  /** The two halves of {@code range}, cut at the midpoint, or empty if it cannot be cut. */
  public static Optional<KeyRange[]> halve(KeyRange range) {
    Bytes start = range.start().orElse(Bytes.EMPTY);
    int len = Math.max(Math.max(start.length(), range.end().map(Bytes::length).orElse(0)), 1);
    byte[] lo = Arrays.copyOf(start.unsafeArray(), len);
    byte[] hi = new byte[len];
    if (range.end().isPresent()) {
      byte[] e = range.end().get().unsafeArray();
      System.arraycopy(e, 0, hi, 0, e.length);
    } else {
      Arrays.fill(hi, (byte) 0xff);
    }
    Bytes mid = trimZeros(average(lo, hi));
    if (mid.compareTo(start) < 0 || range.end().map(e -> mid.compareTo(e) >= 0).orElse(false)) {
      return Optional.empty();
    }
    Optional<Bytes> next = KeyRange.successor(mid);
    if (next.isEmpty()) {
      return Optional.empty(); // the range holds the largest key alone
    }
    KeyRange first = new KeyRange(range.start(), Optional.of(mid));
    KeyRange second = new KeyRange(next, range.end());
    return Optional.of(new KeyRange[] {first, second});
  }

  /** floor((a + b) / 2) of two equal-length unsigned big-endian numbers. */
  private static byte[] average(byte[] a, byte[] b) {
    int n = a.length;
    int[] sum = new int[n + 1];
    int carry = 0;
    for (int i = n - 1; i >= 0; i--) {
      int s = (a[i] & 0xff) + (b[i] & 0xff) + carry;
      sum[i + 1] = s & 0xff;
      carry = s >> 8;
    }
    sum[0] = carry;
    byte[] out = new byte[n];
    int rem = sum[0];
    for (int i = 0; i < n; i++) {
      int cur = (rem << 8) | sum[i + 1];
      out[i] = (byte) (cur >> 1);
      rem = cur & 1;
    }
    return out;
  }

  /** Drops trailing zero bytes: a shorter key sorts just before its zero-extended forms. */
  private static Bytes trimZeros(byte[] key) {
    int end = key.length;
    while (end > 1 && key[end - 1] == 0) {
      end--;
    }
    return Bytes.wrap(Arrays.copyOf(key, end));
  }
}
