package io.ferry.core;

import java.util.Arrays;

/**
 * An immutable byte string: a key or a value in the state. Ordered as unsigned bytes, so a shorter
 * string sorts before any longer one it prefixes, which is the order of keys in the trie.
 *
 * <p>Immutable and thread-safe.
 */
public final class Bytes implements Comparable<Bytes> {
  public static final Bytes EMPTY = new Bytes(new byte[0]);

  private final byte[] bytes;
  private int hashCode; // cached; 0 means not yet computed (or a true 0, recomputed cheaply)

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A byte string holding a copy of {@code bytes}. */
  public static Bytes of(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes.clone());
  }

  /** Takes ownership of the array: the caller must not change it afterwards. */
  public static Bytes wrap(byte[] bytes) {
    return bytes.length == 0 ? EMPTY : new Bytes(bytes);
  }

  public static Bytes fromHex(String hex) {
    return wrap(Hex.decode(hex));
  }

  public int length() {
    return bytes.length;
  }

  public boolean isEmpty() {
    return bytes.length == 0;
  }

  public byte byteAt(int index) {
    return bytes[index];
  }

  /** A copy of the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /**
   * The backing array, not copied, for hot paths that only read it. Callers must never modify it.
   */
  public byte[] unsafeArray() {
    return bytes;
  }

  public String toHex() {
    return Hex.encode(bytes);
  }

  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
  }

  @Override
  public int hashCode() {
    int h = hashCode;
    if (h == 0) {
      h = Arrays.hashCode(bytes);
      hashCode = h;
    }
    return h;
  }

  /** The hex form. */
  @Override
  public String toString() {
    return toHex();
  }
}
