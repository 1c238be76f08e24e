package io.ferry.sim.gossip;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.Clock;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.SnapshotHashesCodec;
import io.ferry.gossip.value.ValueKind;
import io.ferry.net.ProtocolId;
import io.ferry.sim.Interceptor;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.Kind;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import io.ferry.wire.v1.SnapshotSlot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What the gossip simulation's liars put on the wire: each gossip message a liar sends an honest
 * node (a push, a prune, or the answer to a pull) is replaced by the next lie in its turn, so every
 * liar tells each kind. The lies that cost the liar (and end in a ban) are values an honest node
 * must refuse; the stale ones cost nothing, since an honest relay may send them too, and must not
 * take anyone back. Requests a liar sends pass unchanged, as does everything honest nodes send.
 *
 * <p>Deterministic: lies depend on the seeded random source and the order frames are delivered.
 */
final class GossipLies implements Interceptor {
  /** The lies, in the order each liar tells them. */
  enum Lie {
    /** An honest origin's value with its payload and wallclock changed: the signature fails. */
    FORGED,
    /** Snapshot hashes the liar signed whose incremental is below the full snapshot. */
    BROKEN_RULE,
    /** A value the liar signed a day ahead of everyone's clock. */
    FROM_FUTURE,
    /** A value the liar signed for another network: its signature fails in this one. */
    OTHER_NETWORK,
    /** An honest origin's real value from earlier, replayed: stale, harmless, costs nothing. */
    REPLAY,
    /** A value the liar signed longer ago than values live: refused, costs nothing. */
    EXPIRED,
    /** Bytes that are no gossip message at all. */
    GARBAGE
  }

  /** How old a fresh lie may grow before its liar signs it again. */
  private static final long RESIGN_AFTER_MILLIS = 60_000;

  /** Honest values kept for replays and forgeries; the first ones seen. */
  private static final int REPLAYS_KEPT = 64;

  private final Map<NodeId, NodeKey> liars = new LinkedHashMap<>();
  private final Map<NodeId, long[]> turns = new LinkedHashMap<>();
  // The lies a liar signs itself, signed once: an Ed25519 signature costs half a millisecond.
  private final Map<NodeId, Map<Lie, SignedValue>> signed = new LinkedHashMap<>();
  private final String network;
  private final Clock clock;
  private final Duration ttl;
  private final Random random;
  private final List<SignedValue> honest = new ArrayList<>();
  private final Map<Lie, Long> told = new EnumMap<>(Lie.class);

  GossipLies(String network, Clock clock, Duration ttl, Random random) {
    this.network = network;
    this.clock = clock;
    this.ttl = ttl;
    this.random = random;
  }

  void addLiar(NodeKey key) {
    liars.put(key.id(), key);
    turns.put(key.id(), new long[1]);
    signed.put(key.id(), new EnumMap<>(Lie.class));
  }

  boolean isLiar(NodeId id) {
    return liars.containsKey(id);
  }

  /** An honest node's real value, for later replays and forgeries. */
  void remember(SignedValue value) {
    if (honest.size() < REPLAYS_KEPT && !liars.containsKey(value.origin())) {
      honest.add(value);
    }
  }

  /** Lies told so far, by kind. */
  Map<Lie, Long> told() {
    return Map.copyOf(told);
  }

  @Override
  public Envelope intercept(NodeId from, NodeId to, Envelope env) {
    NodeKey liar = liars.get(from);
    if (liar == null
        || liars.containsKey(to)
        || env.getProtocolValue() != ProtocolId.GOSSIP.value()
        || (env.getKind() != Kind.KIND_MESSAGE && env.getKind() != Kind.KIND_RESPONSE)) {
      return env;
    }
    long[] turn = turns.get(from);
    Lie lie = Lie.values()[(int) (turn[0]++ % Lie.values().length)];
    told.merge(lie, 1L, Long::sum);
    ByteString payload;
    if (lie == Lie.GARBAGE) {
      payload = ByteString.copyFrom(new byte[] {(byte) 0xff, (byte) 0xff, 1});
    } else {
      io.ferry.wire.v1.SignedValue value = value(lie, liar).toProto();
      payload =
          env.getKind() == Kind.KIND_RESPONSE
              ? PullResponse.newBuilder().addValues(value).build().toByteString()
              : GossipMessage.newBuilder()
                  .setPush(Push.newBuilder().setNetwork(network).addValues(value))
                  .build()
                  .toByteString();
    }
    return env.toBuilder().setPayload(payload).build();
  }

  private SignedValue value(Lie lie, NodeKey liar) {
    long now = clock.instant().toEpochMilli();
    return switch (lie) {
      case FORGED -> {
        if (honest.isEmpty()) {
          yield signedOnce(liar, Lie.OTHER_NETWORK); // nothing to forge yet: fails as well
        }
        SignedValue real = honest.get(random.nextInt(honest.size()));
        yield new SignedValue(
            real.origin(),
            ValueKind.SNAPSHOT_HASHES,
            now,
            Bytes.EMPTY,
            snapshotHashes(1L << 40),
            real.signature());
      }
      case REPLAY ->
          honest.isEmpty()
              ? signedOnce(liar, Lie.EXPIRED)
              : honest.get(random.nextInt(honest.size()));
      case BROKEN_RULE, FROM_FUTURE, OTHER_NETWORK, EXPIRED -> signedOnce(liar, lie);
      case GARBAGE -> throw new IllegalArgumentException("garbage is no value");
    };
  }

  /**
   * A lie the liar signs itself: signed the first time it is told, and again once a minute old (a
   * broken rule must not expire into a lie that costs nothing).
   */
  private SignedValue signedOnce(NodeKey liar, Lie lie) {
    Map<Lie, SignedValue> mine = signed.get(liar.id());
    long now = clock.instant().toEpochMilli();
    SignedValue held = mine.get(lie);
    boolean stale =
        held != null
            && (lie == Lie.BROKEN_RULE || lie == Lie.OTHER_NETWORK)
            && now - held.wallclock() > RESIGN_AFTER_MILLIS;
    if (held == null || stale) {
      held = sign(liar, lie, now);
      mine.put(lie, held);
    }
    return held;
  }

  private SignedValue sign(NodeKey liar, Lie l, long now) {
    return switch (l) {
      case BROKEN_RULE -> {
        io.ferry.wire.v1.SnapshotHashes broken =
            io.ferry.wire.v1.SnapshotHashes.newBuilder()
                .setFull(slot(1_000))
                .addIncrementals(slot(10))
                .build();
        yield SignedValue.sign(
            liar,
            network,
            ValueKind.SNAPSHOT_HASHES,
            now,
            Bytes.EMPTY,
            Bytes.wrap(broken.toByteArray()));
      }
      case FROM_FUTURE -> signed(liar, network, now + Duration.ofDays(1).toMillis());
      case OTHER_NETWORK -> signed(liar, "another-network", now);
      case EXPIRED -> signed(liar, network, Math.max(0, now - ttl.toMillis() - 60_000));
      default -> throw new IllegalArgumentException(l + " is not signed by its liar");
    };
  }

  private static SignedValue signed(NodeKey liar, String inNetwork, long wallclock) {
    return SignedValue.sign(
        liar, inNetwork, ValueKind.SNAPSHOT_HASHES, wallclock, Bytes.EMPTY, snapshotHashes(7));
  }

  private static Bytes snapshotHashes(long height) {
    return SnapshotHashesCodec.encode(
        new SnapshotHashes(new SnapshotHashes.Slot(height, Hash.ZERO), List.of()));
  }

  private static SnapshotSlot slot(long height) {
    return SnapshotSlot.newBuilder()
        .setHeight(height)
        .setHash(ByteString.copyFrom(new byte[Hash.LENGTH]))
        .build();
  }
}
