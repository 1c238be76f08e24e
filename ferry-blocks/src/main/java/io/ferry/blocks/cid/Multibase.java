package io.ferry.blocks.cid;

import io.ferry.core.Base58;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;

/**
 * The two multibase text forms CIDv1 is written in: {@code b} + lowercase RFC 4648 base32 without
 * padding (IPFS's default) and {@code z} + base58btc (Codex's). Decoding is strict: the prefix must
 * be one of the two, every character in its alphabet, and the unused low bits of base32's last
 * character zero, so one byte string has exactly one text in each base.
 */
public final class Multibase {
  private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
  private static final int[] BASE32_INDEX = new int[128];

  static {
    java.util.Arrays.fill(BASE32_INDEX, -1);
    for (int i = 0; i < BASE32.length; i++) {
      BASE32_INDEX[BASE32[i]] = i;
    }
  }

  /** The base a text is in. */
  public enum Base {
    BASE32('b'),
    BASE58BTC('z');

    private final char prefix;

    Base(char prefix) {
      this.prefix = prefix;
    }

    public char prefix() {
      return prefix;
    }
  }

  private Multibase() {}

  public static String encode(Base base, byte[] bytes) {
    return base.prefix + (base == Base.BASE32 ? base32(bytes) : Base58.encode(bytes));
  }

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for an empty text, another prefix, a
   *     character outside the base's alphabet, or a non-canonical base32 ending
   */
  public static byte[] decode(String text) {
    if (text.isEmpty()) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "an empty multibase text");
    }
    String body = text.substring(1);
    return switch (text.charAt(0)) {
      case 'b' -> fromBase32(body);
      case 'z' -> Base58.decode(body);
      default ->
          throw new FerryException(
              ErrorCode.INVALID_ENCODING,
              "multibase prefix '" + text.charAt(0) + "' is not b (base32) or z (base58btc)");
    };
  }

  static String base32(byte[] bytes) {
    StringBuilder out = new StringBuilder((bytes.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32[(buffer >>> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }

  static byte[] fromBase32(String text) {
    byte[] out = new byte[text.length() * 5 / 8];
    int buffer = 0;
    int bits = 0;
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      int v = c < 128 ? BASE32_INDEX[c] : -1;
      if (v < 0) {
        throw new FerryException(
            ErrorCode.INVALID_ENCODING,
            "not a lowercase base32 character at position " + (i + 1) + ": '" + c + "'");
      }
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out[n++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    // Five characters per 40 bits: 1, 3 and 6 leftover characters never end a real encoding, and
    // the bits past the last byte must be zero.
    int rest = text.length() % 8;
    if (rest == 1 || rest == 3 || rest == 6 || (buffer & ((1 << bits) - 1)) != 0) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "base32 text does not end canonically");
    }
    return out;
  }
}
