package io.ferry.core;

import java.util.HexFormat;

/** Lowercase hex encoding with decoding errors reported as {@link FerryException}. */
public final class Hex {
  private static final HexFormat FORMAT = HexFormat.of();

  private Hex() {}

  public static String encode(byte[] bytes) {
    return FORMAT.formatHex(bytes);
  }

  /**
   * Decodes hex text (either case, optional {@code 0x} prefix).
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} on odd length or a non-hex digit
   */
  public static byte[] decode(CharSequence text) {
    String s = text.toString();
    if (s.startsWith("0x") || s.startsWith("0X")) {
      s = s.substring(2);
    }
    if ((s.length() & 1) != 0) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "hex text has an odd number of digits (" + s.length() + ")");
    }
    for (int i = 0; i < s.length(); i++) {
      // Only ASCII hex digits: Character.digit would also accept other scripts' digits and
      // fullwidth letters, which HexFormat then rejects with an unchecked exception.
      if (!HexFormat.isHexDigit(s.charAt(i))) {
        throw new FerryException(
            ErrorCode.INVALID_ENCODING,
            "not a hex digit at position " + i + ": '" + s.charAt(i) + "'");
      }
    }
    return FORMAT.parseHex(s);
  }
}
