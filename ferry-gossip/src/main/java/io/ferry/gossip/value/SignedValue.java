package io.ferry.gossip.value;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One value of the gossip store: what {@link #origin} says about itself ({@link #kind}, {@link
 * #payload}) at {@link #wallclock}, signed by the origin's node key so any node may relay it.
 *
 * <p>The signature covers {@code "ferry/gossip/value/v1" || len(network) || network || kind ||
 * wallclock || len(index) || index || len(payload) || payload}: the domain keeps it from being
 * valid as any other Ferry signature, and the network name keeps a value of one network from
 * verifying in another. Construction checks shapes and sizes only; {@link #verifies} checks the
 * signature and {@link ValueRules} everything else. Immutable.
 *
 * @param origin who signed it
 * @param kind what it is about
 * @param wallclock milliseconds since the epoch by the origin's clock; newer wins
 * @param index empty unless {@code kind} is indexed
 * @param payload the kind's encoding, at most {@link Limits#MAX_GOSSIP_PAYLOAD_BYTES}
 * @param signature 64 bytes
 */
public record SignedValue(
    NodeId origin, ValueKind kind, long wallclock, Bytes index, Bytes payload, Bytes signature) {
  public static final int SIGNATURE_LENGTH = 64;

  private static final byte[] DOMAIN = "ferry/gossip/value/v1".getBytes(StandardCharsets.US_ASCII);

  public SignedValue {
    if (wallclock < 0) {
      throw invalid("a wallclock is >= 0: " + wallclock);
    }
    if (index.length() > Limits.MAX_GOSSIP_INDEX_BYTES) {
      throw invalid("an index of " + index.length() + " bytes");
    }
    if (kind.indexed() == index.isEmpty()) {
      throw invalid(kind + (kind.indexed() ? " values need an index" : " values take no index"));
    }
    if (payload.length() > Limits.MAX_GOSSIP_PAYLOAD_BYTES) {
      throw invalid("a payload of " + payload.length() + " bytes");
    }
    if (signature.length() != SIGNATURE_LENGTH) {
      throw invalid("a signature of " + signature.length() + " bytes");
    }
  }

  /** Signs {@code payload} as {@code key}'s value of {@code kind} in {@code network}. */
  public static SignedValue sign(
      NodeKey key, String network, ValueKind kind, long wallclock, Bytes index, Bytes payload) {
    byte[] signed = signedBytes(network, kind, wallclock, index, payload);
    return new SignedValue(key.id(), kind, wallclock, index, payload, Bytes.wrap(key.sign(signed)));
  }

  /** Whether {@link #signature} is the origin's over this value in {@code network}. */
  public boolean verifies(String network) {
    return origin.verify(
        signedBytes(network, kind, wallclock, index, payload), signature.unsafeArray());
  }

  public ValueKey key() {
    return new ValueKey(origin, kind, index);
  }

  /** SHA-256 of the value's wire encoding: how stores and Bloom filters tell values apart. */
  public Hash hash() {
    return Sha256Hasher.INSTANCE.hash(toProto().toByteArray());
  }

  static byte[] signedBytes(
      String network, ValueKind kind, long wallclock, Bytes index, Bytes payload) {
    byte[] net = network.getBytes(StandardCharsets.UTF_8);
    if (net.length > Limits.MAX_NETWORK_NAME_BYTES) {
      throw new IllegalArgumentException("a network name is at most 64 bytes: " + network);
    }
    return ByteBuffer.allocate(
            DOMAIN.length + 1 + net.length + 4 + 8 + 2 + index.length() + 4 + payload.length())
        .put(DOMAIN)
        .put((byte) net.length)
        .put(net)
        .putInt(kind.toProto().getNumber())
        .putLong(wallclock)
        .putShort((short) index.length())
        .put(index.unsafeArray())
        .putInt(payload.length())
        .put(payload.unsafeArray())
        .array();
  }

  public io.ferry.wire.v1.SignedValue toProto() {
    return io.ferry.wire.v1.SignedValue.newBuilder()
        .setOrigin(ByteString.copyFrom(origin.publicKey()))
        .setKind(kind.toProto())
        .setWallclock(wallclock)
        .setIndex(ByteString.copyFrom(index.unsafeArray()))
        .setPayload(ByteString.copyFrom(payload.unsafeArray()))
        .setSignature(ByteString.copyFrom(signature.unsafeArray()))
        .build();
  }

  /**
   * The value a message carries; neither its signature nor its payload is checked here.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for a wrong length, an unknown kind,
   *     or a field over its limit
   */
  public static SignedValue fromProto(io.ferry.wire.v1.SignedValue proto) {
    if (proto.getOrigin().size() != NodeId.LENGTH) {
      throw invalid("an origin of " + proto.getOrigin().size() + " bytes");
    }
    return new SignedValue(
        NodeId.of(proto.getOrigin().toByteArray()),
        ValueKind.fromProto(proto.getKind()),
        proto.getWallclock(),
        Bytes.wrap(proto.getIndex().toByteArray()),
        Bytes.wrap(proto.getPayload().toByteArray()),
        Bytes.wrap(proto.getSignature().toByteArray()));
  }

  private static FerryException invalid(String what) {
    return new FerryException(ErrorCode.INVALID_ENCODING, "gossip value with " + what);
  }

  @Override
  public String toString() {
    return kind + " of " + origin.shortString() + " at " + wallclock;
  }
}
