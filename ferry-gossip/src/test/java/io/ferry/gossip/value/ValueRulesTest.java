package io.ferry.gossip.value;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.head.SignedHead;
import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each rule a value is judged by before a node stores or relays it. */
class ValueRulesTest {
  private static final String NET = "test";
  private static final Duration TTL = Duration.ofMinutes(15);
  private static final Duration DRIFT = Duration.ofSeconds(30);
  private static final long NOW = 1_750_000_000_000L;
  private static final NodeKey KEY = key(0);

  private static NodeKey key(int fill) {
    byte[] seed = new byte[32];
    java.util.Arrays.fill(seed, (byte) fill);
    return NodeKey.fromSeed(seed);
  }

  private final ValueRules rules =
      new ValueRules(NET, TTL, DRIFT).with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE);

  private static Bytes contact(String network) {
    return new ContactInfo("127.0.0.1:9000", "127.0.0.1:8899", network, "1.0").encode();
  }

  private static SignedValue contactValue(long wallclock) {
    return SignedValue.sign(KEY, NET, ValueKind.CONTACT_INFO, wallclock, Bytes.EMPTY, contact(NET));
  }

  private static SignedValue withSignature(SignedValue v, Bytes signature) {
    return new SignedValue(v.origin(), v.kind(), v.wallclock(), v.index(), v.payload(), signature);
  }

  private Optional<ValueRules.Reason> reason(SignedValue v) {
    return rules.judge(v, NOW).map(ValueRules.Refusal::reason);
  }

  @Test
  void aWellFormedValueOfEachKnownKindIsTaken() {
    assertThat(rules.judge(contactValue(NOW), NOW)).isEmpty();
    Bytes snapshots =
        SnapshotHashesCodec.encode(
            new SnapshotHashes(new SnapshotHashes.Slot(100, Hash.of(new byte[32])), List.of()));
    assertThat(
            rules.judge(
                SignedValue.sign(KEY, NET, ValueKind.SNAPSHOT_HASHES, NOW, Bytes.EMPTY, snapshots),
                NOW))
        .isEmpty();
    Bytes head = Bytes.wrap(SignedHead.sign(KEY, 7, Hash.of(new byte[32])).toProto().toByteArray());
    assertThat(
            rules.judge(
                SignedValue.sign(KEY, NET, ValueKind.SIGNED_HEAD, NOW, Bytes.EMPTY, head), NOW))
        .isEmpty();
  }

  @Test
  void aBadSignatureIsALie() {
    SignedValue v = contactValue(NOW);
    byte[] sig = v.signature().toByteArray();
    sig[0] ^= 1;
    assertThat(reason(withSignature(v, Bytes.wrap(sig)))).contains(ValueRules.Reason.BAD_SIGNATURE);
    assertThat(ValueRules.Reason.BAD_SIGNATURE.offence()).contains(Offence.INVALID_PROOF);
    // Any field changed after signing breaks it too.
    SignedValue later =
        new SignedValue(v.origin(), v.kind(), NOW + 1, v.index(), v.payload(), v.signature());
    assertThat(reason(later)).contains(ValueRules.Reason.BAD_SIGNATURE);
    SignedValue byAnother =
        new SignedValue(
            key(1).id(), v.kind(), v.wallclock(), v.index(), v.payload(), v.signature());
    assertThat(reason(byAnother)).contains(ValueRules.Reason.BAD_SIGNATURE);
  }

  @Test
  void aValueSignedForAnotherNetworkDoesNotVerifyHere() {
    // Its payload names this network, so only the signature can tell.
    SignedValue elsewhere =
        SignedValue.sign(KEY, "other", ValueKind.CONTACT_INFO, NOW, Bytes.EMPTY, contact(NET));
    assertThat(elsewhere.verifies("other")).isTrue();
    assertThat(elsewhere.verifies(NET)).isFalse();
    assertThat(reason(elsewhere)).contains(ValueRules.Reason.BAD_SIGNATURE);
    assertThat(new ValueRules("other", TTL, DRIFT).judge(elsewhere, NOW).get().reason())
        .isEqualTo(ValueRules.Reason.BROKEN_RULE); // it names network "test" in network "other"
  }

  @Test
  void aContactInfoNamingAnotherNetworkBreaksItsRule() {
    SignedValue v =
        SignedValue.sign(KEY, NET, ValueKind.CONTACT_INFO, NOW, Bytes.EMPTY, contact("other"));
    assertThat(v.verifies(NET)).isTrue();
    assertThat(rules.judge(v, NOW).orElseThrow().detail()).contains("other");
    assertThat(reason(v)).contains(ValueRules.Reason.BROKEN_RULE);
    assertThat(ValueRules.Reason.BROKEN_RULE.offence()).contains(Offence.MALFORMED_MESSAGE);
  }

  @Test
  void aValueFromBeyondTheDriftIsAViolationAndOneWithinItIsTaken() {
    long drift = DRIFT.toMillis();
    assertThat(reason(contactValue(NOW + drift))).isEmpty();
    assertThat(reason(contactValue(NOW + drift + 1))).contains(ValueRules.Reason.FROM_FUTURE);
    assertThat(ValueRules.Reason.FROM_FUTURE.offence()).contains(Offence.PROTOCOL_VIOLATION);
    // Checked before the signature: a far-future value is refused without paying for one.
    SignedValue future = contactValue(Long.MAX_VALUE);
    assertThat(reason(withSignature(future, Bytes.wrap(new byte[64]))))
        .contains(ValueRules.Reason.FROM_FUTURE);
  }

  @Test
  void anExpiredValueIsIgnoredAndCostsNothing() {
    long ttl = TTL.toMillis();
    assertThat(reason(contactValue(NOW - ttl))).isEmpty();
    assertThat(rules.expired(contactValue(NOW - ttl), NOW)).isFalse();
    assertThat(reason(contactValue(NOW - ttl - 1))).contains(ValueRules.Reason.EXPIRED);
    assertThat(rules.expired(contactValue(NOW - ttl - 1), NOW)).isTrue();
    assertThat(ValueRules.Reason.EXPIRED.offence()).isEmpty();
    assertThat(rules.ttlMillis()).isEqualTo(ttl);
  }

  @Test
  void aKindWithoutARuleIsNotKeptAndCostsNothing() {
    SignedValue provider =
        SignedValue.sign(
            KEY, NET, ValueKind.PROVIDER, NOW, Bytes.wrap(new byte[] {1}), Bytes.wrap(new byte[8]));
    assertThat(reason(provider)).contains(ValueRules.Reason.UNKNOWN_KIND);
    assertThat(ValueRules.Reason.UNKNOWN_KIND.offence()).isEmpty();
    // Signed heads are judged only where the head exchange gave its rule.
    Bytes head = Bytes.wrap(SignedHead.sign(KEY, 7, Hash.of(new byte[32])).toProto().toByteArray());
    SignedValue headValue =
        SignedValue.sign(KEY, NET, ValueKind.SIGNED_HEAD, NOW, Bytes.EMPTY, head);
    assertThat(new ValueRules(NET, TTL, DRIFT).judge(headValue, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.UNKNOWN_KIND);
    // A rule given later applies from then on; the rules it was added to stay as they were.
    ValueRules base = new ValueRules(NET, TTL, DRIFT);
    ValueRules withProviders = base.with(ValueKind.PROVIDER, v -> Optional.empty());
    assertThat(withProviders.judge(provider, NOW)).isEmpty();
    assertThat(base.judge(provider, NOW)).isPresent();
  }

  @Test
  void aBrokenPayloadIsRefusedBeforeItsSignatureIsChecked() {
    SignedValue garbage =
        SignedValue.sign(
            KEY,
            NET,
            ValueKind.CONTACT_INFO,
            NOW,
            Bytes.EMPTY,
            Bytes.wrap(new byte[] {(byte) 0xff}));
    assertThat(reason(garbage)).contains(ValueRules.Reason.BROKEN_RULE);
    assertThat(reason(withSignature(garbage, Bytes.wrap(new byte[64]))))
        .contains(ValueRules.Reason.BROKEN_RULE);
  }

  @Test
  void eachBrokenContactInfoIsRefused() {
    for (ContactInfo bad :
        List.of(
            new ContactInfo("nohost", "", NET, "1"),
            new ContactInfo("h:1", "nohost", NET, "1"),
            new ContactInfo("h:1", "", "", "1"),
            new ContactInfo("h:1", "", NET, "v".repeat(256)))) {
      SignedValue v =
          SignedValue.sign(KEY, NET, ValueKind.CONTACT_INFO, NOW, Bytes.EMPTY, bad.encode());
      assertThat(reason(v)).as(bad.toString()).contains(ValueRules.Reason.BROKEN_RULE);
    }
  }

  @Test
  void eachBrokenSnapshotHashesIsRefused() {
    io.ferry.wire.v1.SnapshotHashes noFull = io.ferry.wire.v1.SnapshotHashes.getDefaultInstance();
    SignedValue v =
        SignedValue.sign(
            KEY,
            NET,
            ValueKind.SNAPSHOT_HASHES,
            NOW,
            Bytes.EMPTY,
            Bytes.wrap(noFull.toByteArray()));
    assertThat(reason(v)).contains(ValueRules.Reason.BROKEN_RULE);
  }

  @Test
  void aHeadPublishedByAnotherThanItsProducerBreaksTheHeadRule() {
    NodeKey producer = key(9);
    Bytes head =
        Bytes.wrap(SignedHead.sign(producer, 7, Hash.of(new byte[32])).toProto().toByteArray());
    SignedValue relayedAsOwn =
        SignedValue.sign(KEY, NET, ValueKind.SIGNED_HEAD, NOW, Bytes.EMPTY, head);
    assertThat(relayedAsOwn.verifies(NET)).isTrue();
    assertThat(reason(relayedAsOwn)).contains(ValueRules.Reason.BROKEN_RULE);
  }
}
