package io.ferry.merkledb.trie;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.BranchFactor;
import java.util.Arrays;

/**
 * A position in the trie: a sequence of tokens (each {@code tokenBits} wide). A key of n bytes is a
 * path of {@code n * 8 / tokenBits} tokens; nodes sit at paths that may end inside a byte.
 *
 * <p>Tokens are held one per array element, which makes the trie algorithms simple for every branch
 * factor; {@link #packed()} gives the bit-packed form that hashing and storage use. Immutable and
 * thread-safe. Ordered token by token, a prefix before its extensions, which is the same order as
 * the keys' unsigned byte order.
 */
public final class Path implements Comparable<Path> {
  private final byte[] tokens;
  private final int tokenBits;

  /**
   * The packed form when it came with the path (a key's bytes, a stored record's), else null:
   * hashing and encoding then copy it instead of packing the tokens again. Never changed.
   */
  private final byte[] packed;

  private int hash;

  private Path(byte[] tokens, int tokenBits) {
    this(tokens, tokenBits, null);
  }

  private Path(byte[] tokens, int tokenBits, byte[] packed) {
    this.tokens = tokens;
    this.tokenBits = tokenBits;
    this.packed = packed;
  }

  public static Path empty(BranchFactor bf) {
    return new Path(new byte[0], bf.tokenBits());
  }

  /** The path of a whole key. */
  public static Path ofKey(Bytes key, BranchFactor bf) {
    byte[] k = key.unsafeArray(); // immutable, so it can serve as the packed form
    return new Path(tokensOf(k, bf), bf.tokenBits(), k);
  }

  public static Path ofKey(byte[] key, BranchFactor bf) {
    return new Path(tokensOf(key, bf), bf.tokenBits());
  }

  private static byte[] tokensOf(byte[] key, BranchFactor bf) {
    int bits = bf.tokenBits();
    if (bits == 4) { // the default branch factor, and a bulk load does this for every key
      byte[] t = new byte[key.length * 2];
      for (int i = 0; i < key.length; i++) {
        t[2 * i] = (byte) ((key[i] >>> 4) & 0xf);
        t[2 * i + 1] = (byte) (key[i] & 0xf);
      }
      return t;
    }
    if (bits == 8) {
      return key.clone();
    }
    int per = 8 / bits;
    int mask = (1 << bits) - 1;
    byte[] t = new byte[key.length * per];
    int i = 0;
    for (byte b : key) {
      for (int s = 8 - bits; s >= 0; s -= bits) {
        t[i++] = (byte) ((b >>> s) & mask);
      }
    }
    return t;
  }

  /**
   * The path of {@code bitLength} bits of {@code packed} (the wire form of a proof node's key). The
   * path keeps {@code packed} as its packed form: the caller must not change it afterwards.
   *
   * @throws FerryException if the length is not a whole number of tokens, or bits past the length
   *     are set
   */
  public static Path ofPacked(byte[] packed, long bitLength, BranchFactor bf) {
    int bits = bf.tokenBits();
    if (bitLength < 0 || bitLength % bits != 0 || (bitLength + 7) / 8 != packed.length) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a key of "
              + bitLength
              + " bits in "
              + packed.length
              + " bytes is not a whole number of "
              + bits
              + "-bit tokens");
    }
    byte[] full = tokensOf(packed, bf);
    int n = (int) (bitLength / bits);
    for (int i = n; i < full.length; i++) {
      if (full[i] != 0) {
        throw new FerryException(
            ErrorCode.INVALID_ENCODING, "a key has bits set past its length of " + bitLength);
      }
    }
    // The bits past the length are zero, so the given bytes are this path's packed form.
    return new Path(n == full.length ? full : Arrays.copyOf(full, n), bits, packed);
  }

  /** Builds a path from explicit tokens (each below the branch factor's width). */
  public static Path ofTokens(BranchFactor bf, int... tokens) {
    byte[] t = new byte[tokens.length];
    for (int i = 0; i < tokens.length; i++) {
      t[i] = (byte) tokens[i];
    }
    return new Path(t, bf.tokenBits());
  }

  public int length() {
    return tokens.length;
  }

  public int bitLength() {
    return tokens.length * tokenBits;
  }

  public int tokenBits() {
    return tokenBits;
  }

  public int token(int index) {
    return tokens[index] & 0xff;
  }

  /** True if this path ends on a byte boundary, so it is the path of a key. */
  public boolean isWholeBytes() {
    return bitLength() % 8 == 0;
  }

  /** The key bytes of a whole-byte path. */
  public Bytes toKey() {
    if (!isWholeBytes()) {
      throw new FerryException(ErrorCode.INTERNAL, "path of " + bitLength() + " bits is not a key");
    }
    return Bytes.wrap(packed());
  }

  /** The tokens packed most significant first, the last byte zero-padded. */
  public byte[] packed() {
    byte[] out = new byte[(bitLength() + 7) / 8];
    packInto(out, 0);
    return out;
  }

  /** Writes {@link #packed()} into {@code buf} at {@code pos}; returns the position after it. */
  public int packInto(byte[] buf, int pos) {
    if (packed != null) {
      System.arraycopy(packed, 0, buf, pos, packed.length);
      return pos + packed.length;
    }
    int n = tokens.length;
    if (tokenBits == 4) { // the default branch factor: two tokens a byte
      int i = 0;
      for (; i + 1 < n; i += 2) {
        buf[pos++] = (byte) ((tokens[i] << 4) | tokens[i + 1]);
      }
      if (i < n) {
        buf[pos++] = (byte) (tokens[i] << 4);
      }
      return pos;
    }
    if (tokenBits == 8) {
      System.arraycopy(tokens, 0, buf, pos, n);
      return pos + n;
    }
    int per = 8 / tokenBits;
    int bytes = (n + per - 1) / per;
    java.util.Arrays.fill(buf, pos, pos + bytes, (byte) 0);
    for (int i = 0; i < n; i++) {
      int shift = 8 - tokenBits * (i % per + 1);
      buf[pos + i / per] |= (byte) (tokens[i] << shift);
    }
    return pos + bytes;
  }

  public Path prefix(int length) {
    return length == tokens.length ? this : new Path(Arrays.copyOf(tokens, length), tokenBits);
  }

  /** The tokens from {@code from} to the end. */
  public Path suffix(int from) {
    return from == 0 ? this : new Path(Arrays.copyOfRange(tokens, from, tokens.length), tokenBits);
  }

  /** This path, then {@code token}, then {@code rest}. */
  public Path extend(int token, Path rest) {
    byte[] t = Arrays.copyOf(tokens, tokens.length + 1 + rest.tokens.length);
    t[tokens.length] = (byte) token;
    System.arraycopy(rest.tokens, 0, t, tokens.length + 1, rest.tokens.length);
    return new Path(t, tokenBits);
  }

  /** This path with one more token. */
  public Path append(int token) {
    byte[] t = Arrays.copyOf(tokens, tokens.length + 1);
    t[tokens.length] = (byte) token;
    return new Path(t, tokenBits);
  }

  /** Number of leading tokens this path shares with {@code other}. */
  public int commonPrefixLength(Path other) {
    int m = Arrays.mismatch(tokens, other.tokens);
    return m < 0 ? tokens.length : m;
  }

  /** True if this path is a prefix of (or equal to) {@code other}. */
  public boolean isPrefixOf(Path other) {
    return tokens.length <= other.tokens.length
        && Arrays.equals(tokens, 0, tokens.length, other.tokens, 0, tokens.length);
  }

  /** True if this path is a prefix of {@code other} and shorter. */
  public boolean isStrictPrefixOf(Path other) {
    return tokens.length < other.tokens.length && isPrefixOf(other);
  }

  /**
   * The storage key: each token plus one (two bytes per token for branch factor 256), then an
   * all-ones terminator. Unsigned byte order of these keys puts every node after all of its
   * descendants and siblings in token order, which is the order a bottom-up build emits nodes in,
   * so a bulk load can write them straight into sorted files; and a subtree's nodes are adjacent.
   */
  public byte[] storageKey() {
    if (tokenBits == 8) {
      byte[] out = new byte[tokens.length * 2 + 2];
      for (int i = 0; i < tokens.length; i++) {
        int v = (tokens[i] & 0xff) + 1;
        out[2 * i] = (byte) (v >>> 8);
        out[2 * i + 1] = (byte) v;
      }
      out[out.length - 2] = (byte) 0xff;
      out[out.length - 1] = (byte) 0xff;
      return out;
    }
    byte[] out = new byte[tokens.length + 1];
    for (int i = 0; i < tokens.length; i++) {
      out[i] = (byte) (tokens[i] + 1);
    }
    out[tokens.length] = (byte) 0xff;
    return out;
  }

  @Override
  public int compareTo(Path o) {
    return Arrays.compareUnsigned(tokens, o.tokens);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Path p && Arrays.equals(tokens, p.tokens);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(tokens) * 31 + tokenBits;
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(tokens.length);
    for (byte t : tokens) {
      sb.append(tokenBits == 8 ? String.format("%02x.", t) : Integer.toHexString(t & 0xff));
    }
    return sb.length() == 0 ? "<root>" : sb.toString();
  }
}
