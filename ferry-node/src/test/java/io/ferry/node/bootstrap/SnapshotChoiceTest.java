package io.ferry.node.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.archive.SnapshotHashes.Slot;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Choosing a snapshot from advertisements: k-of-n votes, incrementals, ties, liars, producer. */
class SnapshotChoiceTest {
  private static final NodeId A = node(1);
  private static final NodeId B = node(2);
  private static final NodeId C = node(3);
  private static final NodeId STRANGER = node(4);
  private static final NodeId OTHER = node(5);

  private static final SnapshotTrust TWO_OF_THREE = SnapshotTrust.validators(List.of(A, B, C), 2);

  private static NodeId node(int seed) {
    byte[] s = new byte[32];
    s[0] = (byte) seed;
    return NodeKey.fromSeed(s).id();
  }

  private static Slot slot(long height, int hash) {
    byte[] h = new byte[32];
    h[31] = (byte) hash;
    h[0] = (byte) (height);
    return new Slot(height, Hash.wrap(h));
  }

  private static Advert ad(NodeId who, Slot full, Slot... incrementals) {
    return new Advert(
        who, new SnapshotHashes(full, List.of(incrementals)), Optional.of("127.0.0.1:80"));
  }

  private static Advert noHttp(NodeId who, Slot full) {
    return new Advert(who, SnapshotHashes.of(full), Optional.empty());
  }

  private static Advert noHttpWith(NodeId who, Slot full, Slot incremental) {
    return new Advert(who, new SnapshotHashes(full, List.of(incremental)), Optional.empty());
  }

  private static String reasonFor(SnapshotChoice c, Slot full, Optional<Slot> inc) {
    return c.rejected().stream()
        .filter(r -> r.full().equals(full) && r.incremental().equals(inc))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no rejection of " + full + " " + inc))
        .reason();
  }

  @Test
  void kOfNValidatorsMustAdvertiseTheSameHashes() {
    Slot honest = slot(100, 1);
    Slot forged = slot(100, 2);
    // C lies: another hash at the same height.
    SnapshotChoice c =
        SnapshotChoice.choose(List.of(ad(A, honest), ad(B, honest), ad(C, forged)), TWO_OF_THREE);

    assertThat(c.chosen()).isPresent();
    assertThat(c.chosen().get().full()).isEqualTo(honest);
    assertThat(c.chosen().get().votes()).isEqualTo(2);
    assertThat(reasonFor(c, forged, Optional.empty())).isEqualTo("1 of 3 votes, needs 2");
  }

  @Test
  void aNewerSnapshotWithoutEnoughVotesIsRejectedForAnOlderOneWithThem() {
    Slot older = slot(100, 1);
    Slot newer = slot(200, 1);
    SnapshotChoice c =
        SnapshotChoice.choose(
            List.of(ad(A, newer), ad(B, older), ad(C, older), ad(STRANGER, slot(300, 9))),
            TWO_OF_THREE);

    assertThat(c.chosen().orElseThrow().full()).isEqualTo(older);
    assertThat(reasonFor(c, newer, Optional.empty())).isEqualTo("1 of 3 votes, needs 2");
    assertThat(reasonFor(c, slot(300, 9), Optional.empty()))
        .isEqualTo("not advertised by a known validator");
    // Highest first.
    assertThat(c.rejected()).extracting(r -> r.full().height()).containsExactly(300L, 200L);
  }

  @Test
  void anyNodeAdvertisingTheChosenHashServesIt() {
    Slot s = slot(100, 1);
    SnapshotChoice c =
        SnapshotChoice.choose(
            List.of(ad(A, s), ad(B, s), ad(STRANGER, s), noHttp(C, s), ad(OTHER, slot(100, 7))),
            TWO_OF_THREE);

    SnapshotChoice.Chosen chosen = c.chosen().orElseThrow();
    assertThat(chosen.votes()).isEqualTo(3); // C votes without serving
    assertThat(chosen.fullServers()).extracting(Advert::origin).containsOnly(A, B, STRANGER);
    assertThat(chosen.advertisers()).containsExactlyInAnyOrder(A, B, STRANGER);
  }

  @Test
  void onlyNonValidatorsAdvertisingMeansNoChoice() {
    Slot s = slot(100, 1);
    SnapshotChoice c = SnapshotChoice.choose(List.of(ad(STRANGER, s), ad(OTHER, s)), TWO_OF_THREE);

    assertThat(c.chosen()).isEmpty();
    assertThat(c.rejected()).singleElement();
    assertThat(reasonFor(c, s, Optional.empty())).isEqualTo("not advertised by a known validator");
  }

  @Test
  void anIncrementalGoesWithItsFullSnapshotOnlyWithEnoughVotes() {
    Slot full = slot(100, 1);
    Slot inc12 = slot(112, 3);
    Slot inc14 = slot(114, 4);
    // A and B agree on the full snapshot but not on an incremental.
    SnapshotChoice split =
        SnapshotChoice.choose(List.of(ad(A, full, inc12), ad(B, full, inc14)), TWO_OF_THREE);
    assertThat(split.chosen().orElseThrow().full()).isEqualTo(full);
    assertThat(split.chosen().get().incremental()).isEmpty();
    assertThat(split.chosen().get().height()).isEqualTo(100);
    assertThat(reasonFor(split, full, Optional.of(inc14)))
        .isEqualTo("incremental at 114: 1 of 3 votes, needs 2");
    assertThat(reasonFor(split, full, Optional.of(inc12)))
        .isEqualTo("incremental at 112: 1 of 3 votes, needs 2");

    // With C also at 112, the incremental has its votes.
    SnapshotChoice agreed =
        SnapshotChoice.choose(
            List.of(ad(A, full, inc12), ad(B, full, inc14), ad(C, full, inc12)), TWO_OF_THREE);
    assertThat(agreed.chosen().orElseThrow().incremental()).contains(inc12);
    assertThat(agreed.chosen().get().incrementalVotes()).isEqualTo(2);
    assertThat(agreed.chosen().get().incrementalServers())
        .extracting(Advert::origin)
        .containsExactly(A, C);
    assertThat(reasonFor(agreed, full, Optional.of(inc14)))
        .isEqualTo("incremental at 114: 1 of 3 votes, needs 2");
  }

  @Test
  void anyAdvertisedIncrementalCountsNotOnlyTheNewest() {
    Slot full = slot(100, 1);
    Slot inc12 = slot(112, 3);
    Slot inc14 = slot(114, 4);
    SnapshotChoice c =
        SnapshotChoice.choose(List.of(ad(A, full, inc12, inc14), ad(B, full, inc12)), TWO_OF_THREE);

    assertThat(c.chosen().orElseThrow().incremental()).contains(inc12);
    assertThat(reasonFor(c, full, Optional.of(inc14)))
        .isEqualTo("incremental at 114: 1 of 3 votes, needs 2");
  }

  @Test
  void aTieGoesToMoreVotesThenToTheLowerHashWhateverTheOrder() {
    SnapshotTrust oneOfThree = SnapshotTrust.validators(List.of(A, B, C), 1);
    Slot h1 = slot(100, 1);
    Slot h2 = slot(100, 2);
    SnapshotChoice more =
        SnapshotChoice.choose(List.of(ad(A, h1), ad(B, h2), ad(C, h2)), oneOfThree);
    assertThat(more.chosen().orElseThrow().full()).isEqualTo(h2);
    assertThat(reasonFor(more, h1, Optional.empty()))
        .isEqualTo("as new as the chosen snapshot, which has more votes or advertisers");

    List<Advert> even = new ArrayList<>(List.of(ad(A, h2), ad(B, h1), ad(STRANGER, slot(50, 5))));
    Random r = new Random(7);
    for (int i = 0; i < 10; i++) {
      Collections.shuffle(even, r);
      SnapshotChoice c = SnapshotChoice.choose(even, oneOfThree);
      assertThat(c.chosen().orElseThrow().full()).isEqualTo(h1); // the lower hash
      assertThat(c.rejected())
          .extracting(SnapshotChoice.Rejected::reason)
          .containsExactly(
              "as new as the chosen snapshot, which has more votes or advertisers",
              "not advertised by a known validator");
    }
  }

  @Test
  void aSnapshotNobodyServesOverHttpIsNotChosen() {
    SnapshotTrust oneOfThree = SnapshotTrust.validators(List.of(A, B, C), 1);
    Slot newer = slot(200, 1);
    Slot older = slot(100, 1);
    SnapshotChoice c = SnapshotChoice.choose(List.of(noHttp(A, newer), ad(B, older)), oneOfThree);

    assertThat(c.chosen().orElseThrow().full()).isEqualTo(older);
    assertThat(reasonFor(c, newer, Optional.empty()))
        .isEqualTo("no advertiser serves it over HTTP");
  }

  @Test
  void byStateSyncASnapshotNobodyServesOverHttpIsChosen() {
    // Chunks come from any peer that lists the snapshot: a network without HTTP still bootstraps.
    SnapshotTrust oneOfThree = SnapshotTrust.validators(List.of(A, B, C), 1);
    Slot newer = slot(200, 1);
    Slot older = slot(100, 1);
    Slot inc = slot(210, 2);
    SnapshotChoice c =
        SnapshotChoice.choose(
            List.of(noHttp(A, newer), ad(B, older), noHttpWith(C, newer, inc)), oneOfThree, true);

    SnapshotChoice.Chosen chosen = c.chosen().orElseThrow();
    assertThat(chosen.full()).isEqualTo(newer);
    assertThat(chosen.fullServers()).isEmpty();
    // An incremental is only downloaded, so it still needs an HTTP server.
    assertThat(chosen.incremental()).isEmpty();
    assertThat(reasonFor(c, newer, Optional.of(inc)))
        .isEqualTo("incremental at 210: no advertiser serves it over HTTP");
    assertThat(reasonFor(c, older, Optional.empty()))
        .isEqualTo("older than the chosen snapshot (height 200)");
  }

  @Test
  void theTrustedProducersAdvertisementIsEnough() {
    NodeId producer = A;
    SnapshotTrust trust = SnapshotTrust.producer(producer);
    Slot full = slot(100, 1);
    Slot inc = slot(110, 2);
    Slot lagging = slot(90, 3);
    SnapshotChoice c =
        SnapshotChoice.choose(
            List.of(ad(producer, full, inc), ad(B, full), ad(C, full, inc), ad(OTHER, lagging)),
            trust);

    SnapshotChoice.Chosen chosen = c.chosen().orElseThrow();
    assertThat(chosen.full()).isEqualTo(full);
    assertThat(chosen.incremental()).contains(inc);
    assertThat(chosen.fullServers()).extracting(Advert::origin).containsOnly(producer, B, C);
    assertThat(chosen.incrementalServers()).extracting(Advert::origin).containsOnly(producer, C);
    assertThat(reasonFor(c, full, Optional.empty()))
        .isEqualTo("older than the chosen snapshot (height 110)");
    assertThat(reasonFor(c, lagging, Optional.empty()))
        .isEqualTo("not advertised by the trusted producer");
  }

  @Test
  void minAgreementIsOneToTheNumberOfValidators() {
    assertThatThrownBy(() -> SnapshotTrust.validators(List.of(A, B), 3))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("1 to the number of known validators (2)");
    assertThatThrownBy(() -> SnapshotTrust.validators(List.of(A), 0))
        .isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> SnapshotTrust.validators(List.of(), 1))
        .isInstanceOf(FerryException.class);
    // A validator named twice is one vote.
    assertThat(SnapshotTrust.validators(List.of(A, A, B), 2).validators()).hasSize(2);
  }
}
