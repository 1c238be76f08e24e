package io.ferry.blocks.cid;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * A CIDv1 with a SHA-256 multihash: {@code varint(1) varint(codec) varint(0x12) varint(32) digest}.
 * Its text is multibase: {@link #toString()} writes base58btc (as Codex does), {@link #parse} reads
 * base58btc and base32. Only version 1, the codecs of {@link Multicodec} and SHA-256 are accepted,
 * and a CID's bytes and texts must be canonical (re-encoding gives the same text), so two different
 * strings never name the same CID.
 *
 * <p>Immutable and thread-safe; equal when codec and digest are.
 */
public final class Cid implements Comparable<Cid> {
  /** The multihash code of SHA-256. */
  public static final int SHA2_256 = 0x12;

  /** Bytes of every CID here: 1 + 3 (private-use codecs; 1 for raw) + 1 + 1 + 32 at most. */
  public static final int LONGEST_BYTES = 40;

  private final Multicodec codec;
  private final Hash digest;
  private final byte[] bytes;

  private Cid(Multicodec codec, Hash digest) {
    this.codec = codec;
    this.digest = digest;
    ByteArrayOutputStream out = new ByteArrayOutputStream(LONGEST_BYTES);
    Varint.write(out, 1);
    Varint.write(out, codec.code());
    Varint.write(out, SHA2_256);
    Varint.write(out, Hash.LENGTH);
    out.writeBytes(digest.toBytes());
    this.bytes = out.toByteArray();
  }

  /** The CID of {@code codec} over a digest already computed. */
  public static Cid of(Multicodec codec, Hash digest) {
    return new Cid(codec, digest);
  }

  /** The CID of {@code codec} over the SHA-256 of {@code content}. */
  public static Cid hash(Multicodec codec, byte[] content) {
    return new Cid(codec, Hash.wrap(Sha256Hasher.threadDigest().digest(content)));
  }

  /**
   * Decodes a binary CID.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for another version, codec or hash, a
   *     digest that is not 32 bytes, bytes left over, or a non-minimal varint
   */
  public static Cid fromBytes(byte[] in) {
    if (in.length > LONGEST_BYTES) {
      throw invalid("a CID of " + in.length + " bytes is longer than " + LONGEST_BYTES);
    }
    Varint.Read version = Varint.read(in, 0);
    if (version.value() != 1) {
      throw invalid("CID version " + version.value() + " is not 1");
    }
    Varint.Read codec = Varint.read(in, version.next());
    Multicodec c = Multicodec.of(codec.value());
    Varint.Read hash = Varint.read(in, codec.next());
    if (hash.value() != SHA2_256) {
      throw invalid("multihash 0x" + Long.toHexString(hash.value()) + " is not sha2-256");
    }
    Varint.Read length = Varint.read(in, hash.next());
    if (length.value() != Hash.LENGTH) {
      throw invalid("a sha2-256 digest of " + length.value() + " bytes");
    }
    if (in.length - length.next() != Hash.LENGTH) {
      throw invalid(
          "a CID's digest is followed or cut short by "
              + (in.length - length.next() - Hash.LENGTH)
              + " bytes");
    }
    return new Cid(c, Hash.of(Arrays.copyOfRange(in, length.next(), in.length)));
  }

  /**
   * Parses a CID's text, base58btc ({@code z…}) or base32 ({@code b…}).
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for anything but the canonical text
   *     of a CID this class accepts
   */
  public static Cid parse(String text) {
    if (text.length() > 2 * LONGEST_BYTES) {
      throw invalid("a CID text of " + text.length() + " characters is too long");
    }
    Cid cid = fromBytes(Multibase.decode(text));
    Multibase.Base base = text.charAt(0) == 'b' ? Multibase.Base.BASE32 : Multibase.Base.BASE58BTC;
    if (!cid.toString(base).equals(text)) {
      throw invalid("'" + text + "' is not the canonical text of its CID");
    }
    return cid;
  }

  /**
   * Parses a CID's text and checks what it names.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} when it names another kind of block
   */
  public static Cid parse(String text, Multicodec expected) {
    Cid cid = parse(text);
    if (cid.codec != expected) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, text + " names a " + cid.codec + " block, not a " + expected);
    }
    return cid;
  }

  public Multicodec codec() {
    return codec;
  }

  /** The SHA-256 of what this CID names. */
  public Hash digest() {
    return digest;
  }

  /** The binary form (a copy). */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Whether {@code content} is what this CID names. */
  public boolean matches(byte[] content) {
    return Arrays.equals(Sha256Hasher.threadDigest().digest(content), digest.toBytes());
  }

  public String toString(Multibase.Base base) {
    return Multibase.encode(base, bytes);
  }

  /** The base58btc text, as Codex writes CIDs. */
  @Override
  public String toString() {
    return toString(Multibase.Base.BASE58BTC);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cid other && other.codec == codec && other.digest.equals(digest);
  }

  @Override
  public int hashCode() {
    return digest.hashCode() * 31 + codec.hashCode();
  }

  @Override
  public int compareTo(Cid o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  private static FerryException invalid(String why) {
    return new FerryException(ErrorCode.INVALID_ENCODING, why);
  }
}
