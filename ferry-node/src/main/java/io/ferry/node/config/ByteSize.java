package io.ferry.node.config;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.util.Locale;

/**
 * A number of bytes as an operator writes it: {@code 1073741824}, {@code 16GiB}, {@code 512 MiB},
 * {@code 10GB}. Binary suffixes (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB,
 * TB) powers of 1000, and a plain {@code B} or none is bytes. Stateless.
 */
public final class ByteSize {
  private ByteSize() {}

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} naming {@code what} for anything
   *     else, a negative size or one beyond a long
   */
  public static long parse(String text, String what) {
    String t = text.strip().replace("_", "");
    int end = 0;
    while (end < t.length() && (Character.isDigit(t.charAt(end)) || t.charAt(end) == '.')) {
      end++;
    }
    String number = t.substring(0, end);
    String unit = t.substring(end).strip().toUpperCase(Locale.ROOT);
    long scale =
        switch (unit) {
          case "", "B" -> 1L;
          case "K", "KIB" -> 1L << 10;
          case "M", "MIB" -> 1L << 20;
          case "G", "GIB" -> 1L << 30;
          case "T", "TIB" -> 1L << 40;
          case "KB" -> 1_000L;
          case "MB" -> 1_000_000L;
          case "GB" -> 1_000_000_000L;
          case "TB" -> 1_000_000_000_000L;
          default -> -1L;
        };
    if (number.isEmpty() || scale < 0) {
      throw bad(text, what);
    }
    try {
      if (number.indexOf('.') < 0) {
        return Math.multiplyExact(Long.parseLong(number), scale);
      }
      double v = Double.parseDouble(number) * scale;
      if (v >= Long.MAX_VALUE) {
        throw bad(text, what);
      }
      return (long) v;
    } catch (NumberFormatException | ArithmeticException e) {
      throw bad(text, what);
    }
  }

  private static FerryException bad(String text, String what) {
    return new FerryException(
        ErrorCode.INVALID_ARGUMENT,
        what + " takes a size in bytes such as 1073741824, 16GiB or 500MB, not '" + text + "'");
  }
}
