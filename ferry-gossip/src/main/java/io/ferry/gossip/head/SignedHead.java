package io.ferry.gossip.head;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A head (height, root) that a producer vouches for with an Ed25519 signature by its node key over
 * {@code "ferry/head/v1" || height (8 bytes, big-endian) || root (32 bytes)}. The domain prefix
 * keeps a head signature from ever being valid as any other Ferry signature.
 *
 * <p>Construction checks shapes only; {@link #verifies()} checks the signature. Immutable.
 *
 * @param producer who signed it
 * @param height the producer's commit height, non-negative
 * @param root the state root at that height
 * @param signature 64 bytes
 */
public record SignedHead(NodeId producer, long height, Hash root, Bytes signature) {
  public static final int SIGNATURE_LENGTH = 64;
  private static final byte[] DOMAIN = "ferry/head/v1".getBytes(StandardCharsets.US_ASCII);

  public SignedHead {
    if (height < 0) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a head height is >= 0: " + height);
    }
    if (signature.length() != SIGNATURE_LENGTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING,
          "a head signature is " + SIGNATURE_LENGTH + " bytes, got " + signature.length());
    }
  }

  /** Signs the head ({@code height}, {@code root}) with {@code key}. */
  public static SignedHead sign(NodeKey key, long height, Hash root) {
    return new SignedHead(key.id(), height, root, Bytes.wrap(key.sign(signedBytes(height, root))));
  }

  /** The bytes a head signature covers. */
  public static byte[] signedBytes(long height, Hash root) {
    return ByteBuffer.allocate(DOMAIN.length + Long.BYTES + Hash.LENGTH)
        .put(DOMAIN)
        .putLong(height)
        .put(root.toBytes())
        .array();
  }

  /** Whether {@link #signature} is {@link #producer}'s signature over this height and root. */
  public boolean verifies() {
    return producer.verify(signedBytes(height, root), signature.unsafeArray());
  }

  public io.ferry.wire.v1.SignedHead toProto() {
    return io.ferry.wire.v1.SignedHead.newBuilder()
        .setProducer(ByteString.copyFrom(producer.publicKey()))
        .setHeight(height)
        .setRoot(ByteString.copyFrom(root.toBytes()))
        .setSignature(ByteString.copyFrom(signature.unsafeArray()))
        .build();
  }

  /**
   * The head a message carries; its signature is not checked here.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} when a field has the wrong length or
   *     the height does not fit a signed 64-bit number
   */
  public static SignedHead fromProto(io.ferry.wire.v1.SignedHead proto) {
    return new SignedHead(
        NodeId.of(proto.getProducer().toByteArray()),
        proto.getHeight(),
        Hash.of(proto.getRoot().toByteArray()),
        Bytes.wrap(proto.getSignature().toByteArray()));
  }

  @Override
  public String toString() {
    return "head " + height + " " + root.toHex().substring(0, 12) + " by " + producer.shortString();
  }
}
