package io.ferry.merkledb.proof;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.trie.Path;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.ProofNodeOrBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Converts proofs to and from their protobuf form (AvalancheGo's sync.proto layout). Decoding
 * checks what the types cannot: a path whose bit length is not whole tokens, a child index beyond
 * the branch factor, an id that is not 32 bytes, a value digest longer than a hash; each is a
 * {@link ProofException} with {@link ProofError#INVALID_PROOF_NODE}. Stateless.
 */
public final class ProofCodec {
  private ProofCodec() {}

  // ---- encoding

  public static io.ferry.wire.v1.RangeProof encode(RangeProof p) {
    var b = io.ferry.wire.v1.RangeProof.newBuilder();
    p.startProof().forEach(n -> b.addStartProof(encode(n)));
    p.endProof().forEach(n -> b.addEndProof(encode(n)));
    for (KeyValue kv : p.keyValues()) {
      b.addKeyValues(
          io.ferry.wire.v1.KeyValue.newBuilder()
              .setKey(bytes(kv.key()))
              .setValue(bytes(kv.value())));
    }
    return b.build();
  }

  public static io.ferry.wire.v1.ChangeProof encode(ChangeProof p) {
    var b = io.ferry.wire.v1.ChangeProof.newBuilder();
    p.startProof().forEach(n -> b.addStartProof(encode(n)));
    p.endProof().forEach(n -> b.addEndProof(encode(n)));
    for (KeyChange kc : p.keyChanges()) {
      var c = io.ferry.wire.v1.KeyChange.newBuilder().setKey(bytes(kc.key()));
      kc.value().ifPresent(v -> c.setValue(maybe(v)));
      b.addKeyChanges(c);
    }
    return b.build();
  }

  public static io.ferry.wire.v1.Proof encode(Proof p) {
    var b = io.ferry.wire.v1.Proof.newBuilder().setKey(bytes(p.key()));
    p.value().ifPresent(v -> b.setValue(maybe(v)));
    p.path().forEach(n -> b.addProof(encode(n)));
    return b.build();
  }

  public static io.ferry.wire.v1.ProofNode encode(ProofNode n) {
    var b =
        io.ferry.wire.v1.ProofNode.newBuilder()
            .setKey(
                io.ferry.wire.v1.Key.newBuilder()
                    .setLength(n.key().bitLength())
                    .setValue(ByteString.copyFrom(n.key().packed())));
    n.valueOrHash().ifPresent(v -> b.setValueOrHash(maybe(v)));
    for (Map.Entry<Integer, Hash> e : n.children().entrySet()) {
      b.putChildren(e.getKey(), ByteString.copyFrom(e.getValue().toBytes()));
    }
    return b.build();
  }

  /** Wraps an optional byte string as merkledb's MaybeBytes, or null for nothing. */
  public static MaybeBytes maybe(Bytes value) {
    return MaybeBytes.newBuilder().setValue(bytes(value)).build();
  }

  private static ByteString bytes(Bytes b) {
    return ByteString.copyFrom(b.unsafeArray());
  }

  // ---- decoding

  public static RangeProof decode(io.ferry.wire.v1.RangeProof p, BranchFactor bf) {
    List<KeyValue> kvs = new ArrayList<>(p.getKeyValuesCount());
    for (var kv : p.getKeyValuesList()) {
      kvs.add(new KeyValue(key(kv.getKey()), value(kv.getValue())));
    }
    return new RangeProof(nodes(p.getStartProofList(), bf), nodes(p.getEndProofList(), bf), kvs);
  }

  public static ChangeProof decode(io.ferry.wire.v1.ChangeProof p, BranchFactor bf) {
    List<KeyChange> changes = new ArrayList<>(p.getKeyChangesCount());
    for (var kc : p.getKeyChangesList()) {
      Optional<Bytes> v = maybeOf(kc.hasValue() ? kc.getValue() : null);
      v.ifPresent(ProofCodec::checkValue);
      changes.add(new KeyChange(key(kc.getKey()), v));
    }
    return new ChangeProof(
        nodes(p.getStartProofList(), bf), nodes(p.getEndProofList(), bf), changes);
  }

  public static Proof decode(io.ferry.wire.v1.Proof p, BranchFactor bf) {
    Optional<Bytes> v = maybeOf(p.hasValue() ? p.getValue() : null);
    v.ifPresent(ProofCodec::checkValue);
    return new Proof(key(p.getKey()), v, nodes(p.getProofList(), bf));
  }

  /** Reads merkledb's MaybeBytes: absent (or is_nothing) means nothing. */
  public static Optional<Bytes> maybeOf(MaybeBytes m) {
    if (m == null || m.getIsNothing()) {
      return Optional.empty();
    }
    return Optional.of(Bytes.wrap(m.getValue().toByteArray()));
  }

  private static List<ProofNode> nodes(List<? extends ProofNodeOrBuilder> in, BranchFactor bf) {
    if (in.size() > bf.maxPathNodes()) {
      throw new ProofException(
          ProofError.PATH_TOO_LONG,
          "a proof path of " + in.size() + " nodes is longer than any key allows");
    }
    List<ProofNode> out = new ArrayList<>(in.size());
    for (var n : in) {
      out.add(node(n, bf));
    }
    return out;
  }

  private static ProofNode node(ProofNodeOrBuilder n, BranchFactor bf) {
    Path key;
    try {
      key = Path.ofPacked(n.getKey().getValue().toByteArray(), n.getKey().getLength(), bf);
    } catch (FerryException e) {
      throw invalid("bad proof node key: " + e.getMessage());
    }
    if (key.bitLength() > Limits.MAX_KEY_BYTES * 8L) {
      throw invalid("proof node key of " + key.bitLength() + " bits is too long");
    }
    Optional<Bytes> digest = maybeOf(n.hasValueOrHash() ? n.getValueOrHash() : null);
    if (digest.isPresent() && digest.get().length() > Hash.LENGTH) {
      throw invalid("a value digest of " + digest.get().length() + " bytes is longer than a hash");
    }
    SortedMap<Integer, Hash> children = new TreeMap<>();
    for (Map.Entry<Integer, ByteString> e : n.getChildrenMap().entrySet()) {
      int index = e.getKey();
      if (index < 0 || index >= bf.width()) {
        throw invalid("child index " + Integer.toUnsignedString(index) + " is beyond " + bf);
      }
      if (e.getValue().size() != Hash.LENGTH) {
        throw invalid("child id of " + e.getValue().size() + " bytes");
      }
      children.put(index, Hash.of(e.getValue().toByteArray()));
    }
    return new ProofNode(key, digest, children);
  }

  private static Bytes key(ByteString b) {
    if (b.size() > Limits.MAX_KEY_BYTES) {
      throw new ProofException(ProofError.OVERSIZED, "a key of " + b.size() + " bytes");
    }
    return Bytes.wrap(b.toByteArray());
  }

  private static Bytes value(ByteString b) {
    Bytes v = Bytes.wrap(b.toByteArray());
    checkValue(v);
    return v;
  }

  private static void checkValue(Bytes v) {
    if (v.length() > Limits.MAX_VALUE_BYTES) {
      throw new ProofException(ProofError.OVERSIZED, "a value of " + v.length() + " bytes");
    }
  }

  private static ProofException invalid(String message) {
    return new ProofException(ProofError.INVALID_PROOF_NODE, message);
  }

  /** Parses bytes as a protobuf message, mapping parse failures to a typed error. */
  public static <T> T parse(ProtoParser<T> parser, byte[] bytes, String what) {
    try {
      return parser.parse(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "malformed " + what + ": " + e.getMessage(), e);
    }
  }

  /** A protobuf parseFrom method reference. */
  @FunctionalInterface
  public interface ProtoParser<T> {
    T parse(byte[] bytes) throws com.google.protobuf.InvalidProtocolBufferException;
  }
}
