package io.ferry.http;

/**
 * One satisfiable byte range of a file (or of any body of known size), and the parser of {@code
 * Range} header values; public for routes that stream bodies of their own.
 *
 * <p>Only single ranges are honoured. A header with several ranges, another unit, or bad syntax is
 * ignored (RFC 9110 §14.2 allows it), so the client gets the whole file with 200; this server never
 * answers {@code multipart/byteranges}. Immutable.
 *
 * @param first offset of the first byte
 * @param last offset of the last byte, inclusive
 */
public record ByteRange(long first, long last) {

  /** What a {@code Range} header asks of a file of a given size. */
  public sealed interface Request {}

  /** Serve the whole file: no header, or one this server ignores. */
  public record Whole() implements Request {}

  /** Serve this range with 206. */
  public record Partial(ByteRange range) implements Request {}

  /** Answer 416: the range starts at or past the end of the file. */
  public record Unsatisfiable() implements Request {}

  public static final Request WHOLE = new Whole();
  public static final Request UNSATISFIABLE = new Unsatisfiable();

  public long length() {
    return last - first + 1;
  }

  /** The {@code Content-Range} value for a file of this size. */
  public String contentRange(long size) {
    return "bytes " + first + "-" + last + "/" + size;
  }

  /**
   * Parses a {@code Range} header value (null when absent) against a file of {@code size} bytes.
   */
  public static Request parse(String header, long size) {
    if (header == null) {
      return WHOLE;
    }
    String value = header.strip();
    int eq = value.indexOf('=');
    if (eq < 0 || !value.substring(0, eq).strip().equalsIgnoreCase("bytes")) {
      return WHOLE;
    }
    String spec = value.substring(eq + 1).strip();
    if (spec.isEmpty() || spec.indexOf(',') >= 0) {
      return WHOLE;
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return WHOLE;
    }
    String a = spec.substring(0, dash).strip();
    String b = spec.substring(dash + 1).strip();
    if (a.isEmpty()) {
      // Suffix: the last n bytes.
      long n = number(b);
      if (n < 0) {
        return WHOLE;
      }
      if (n == 0 || size == 0) {
        return UNSATISFIABLE;
      }
      return new Partial(new ByteRange(Math.max(0, size - n), size - 1));
    }
    long first = number(a);
    if (first < 0) {
      return WHOLE;
    }
    long last;
    if (b.isEmpty()) {
      last = Long.MAX_VALUE;
    } else {
      last = number(b);
      if (last < 0 || last < first) {
        return WHOLE;
      }
    }
    if (first >= size) {
      return UNSATISFIABLE;
    }
    return new Partial(new ByteRange(first, Math.min(last, size - 1)));
  }

  /** A non-negative decimal, capped at Long.MAX_VALUE; -1 when not all digits. */
  private static long number(String s) {
    if (s.isEmpty()) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      int d = c - '0';
      n = n > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : n * 10 + d;
    }
    return n;
  }
}
