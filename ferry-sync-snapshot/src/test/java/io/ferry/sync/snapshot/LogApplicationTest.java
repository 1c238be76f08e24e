package io.ferry.sync.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second application on its own, without a syncer: its snapshots, and its answer to every offer
 * and chunk, including a restart midway through a restore.
 */
class LogApplicationTest {
  private static final List<Bytes> RECORDS = LogApplication.records(120, 40, 7);
  private static final NodeId PEER = NodeId.of(new byte[32]);

  @TempDir Path dir;

  private LogApplication log(String name) {
    return new LogApplication(dir.resolve(name), 128, 50);
  }

  private LogApplication server() {
    LogApplication s = log("server");
    s.append(RECORDS);
    return s;
  }

  @Test
  void listsASnapshotEveryFiftyRecordsCutIntoWholeRecordChunks() {
    LogApplication server = server();

    List<Snapshot> listed = server.listSnapshots();

    assertThat(listed).extracting(Snapshot::height).containsExactly(50L, 100L);
    Snapshot s = listed.get(1);
    assertThat(s.format()).isEqualTo(LogApplication.FORMAT);
    assertThat(s.chunks()).isGreaterThan(5);
    assertThat(s.metadata().length()).isEqualTo(32 * (1 + s.chunks()));
    List<Bytes> joined = new ArrayList<>();
    for (int i = 0; i < s.chunks(); i++) {
      Bytes chunk = server.loadSnapshotChunk(100, 1, i).orElseThrow();
      assertThat(chunk.length()).isLessThanOrEqualTo(128);
      joined.addAll(LogApplication.decode(chunk));
    }
    assertThat(joined).isEqualTo(RECORDS.subList(0, 100));
    assertThat(server.loadSnapshotChunk(100, 1, s.chunks())).isEmpty();
    assertThat(server.loadSnapshotChunk(100, 2, 0)).isEmpty();
    assertThat(server.loadSnapshotChunk(75, 1, 0)).isEmpty();
    assertThat(server.loadSnapshotChunk(150, 1, 0)).isEmpty();
  }

  @Test
  void theAppHashIsAboutTheRecordsNotTheChunks() {
    LogApplication a = server();
    LogApplication b = new LogApplication(dir.resolve("b"), 4096, 50);
    b.append(RECORDS);
    assertThat(a.snapshot(100).chunks()).isNotEqualTo(b.snapshot(100).chunks());
    assertThat(a.appHash(100)).isEqualTo(b.appHash(100)).isNotEqualTo(a.appHash(99));
  }

  @Test
  void restoresASnapshotChunkByChunk() {
    LogApplication server = server();
    LogApplication client = log("client");
    Snapshot s = server.snapshot(100);

    assertThat(client.offerSnapshot(s, server.appHash(100))).isEqualTo(OfferResult.ACCEPT);
    assertThat(client.appliedChunks(s).isEmpty()).isTrue();
    for (int i = 0; i < s.chunks(); i++) {
      assertThat(
              client.applySnapshotChunk(i, server.loadSnapshotChunk(100, 1, i).orElseThrow(), PEER))
          .isEqualTo(ChunkApplied.accept());
    }

    assertThat(client.records()).isEqualTo(RECORDS.subList(0, 100));
    assertThat(client.restoring()).isFalse();
    assertThat(log("client").records())
        .as("as read back from disk")
        .isEqualTo(RECORDS.subList(0, 100));
  }

  @Test
  void answersEachOfferAsItShould() {
    LogApplication server = server();
    LogApplication client = log("client");
    Snapshot s = server.snapshot(100);

    Snapshot otherFormat = new Snapshot(100, 2, s.chunks(), s.hash(), s.metadata());
    assertThat(client.offerSnapshot(otherFormat, server.appHash(100)))
        .isEqualTo(OfferResult.REJECT_FORMAT);
    Snapshot lying = new Snapshot(100, 1, s.chunks(), Bytes.wrap(new byte[32]), s.metadata());
    assertThat(client.offerSnapshot(lying, server.appHash(100)))
        .isEqualTo(OfferResult.REJECT_SENDER);
    Snapshot short_ = new Snapshot(100, 1, s.chunks() + 1, s.hash(), s.metadata());
    assertThat(client.offerSnapshot(short_, server.appHash(100)))
        .isEqualTo(OfferResult.REJECT_SENDER);
    assertThat(client.offerSnapshot(s, server.appHash(99))).isEqualTo(OfferResult.REJECT);
    assertThat(client.restoring()).isFalse();
  }

  @Test
  void aBadChunkIsRefetchedFromSomeoneElse() {
    LogApplication server = server();
    LogApplication client = log("client");
    Snapshot s = server.snapshot(100);
    client.offerSnapshot(s, server.appHash(100));

    Bytes good = server.loadSnapshotChunk(100, 1, 0).orElseThrow();
    ChunkApplied r = client.applySnapshotChunk(0, ScriptedApplication.corrupt(good), PEER);

    assertThat(r).isEqualTo(new ChunkApplied(ApplyResult.RETRY, List.of(0), Set.of(PEER)));
    assertThat(client.records()).isEmpty();
    assertThat(client.applySnapshotChunk(0, good, PEER)).isEqualTo(ChunkApplied.accept());
    assertThatThrownBy(() -> client.applySnapshotChunk(2, good, PEER))
        .hasMessageContaining("out of order");
  }

  @Test
  void aSnapshotThatHashesRightButRestoresToAnotherStateIsRejected() {
    // A liar advertises its own log under the trusted app hash: every chunk matches the metadata,
    // but the records hash to something else, seen when the last chunk is in.
    LogApplication honest = server();
    LogApplication liar = log("liar");
    liar.append(LogApplication.records(100, 40, 8));
    Snapshot lie = withAppHash(liar.snapshot(100), honest.appHash(100));
    LogApplication client = log("client");
    assertThat(client.offerSnapshot(lie, honest.appHash(100))).isEqualTo(OfferResult.ACCEPT);

    ChunkApplied last = null;
    for (int i = 0; i < lie.chunks(); i++) {
      last = client.applySnapshotChunk(i, liar.loadSnapshotChunk(100, 1, i).orElseThrow(), PEER);
    }

    assertThat(last.result()).isEqualTo(ApplyResult.REJECT_SNAPSHOT);
    assertThat(client.records()).isEmpty();
    assertThat(client.restoring()).isFalse();
  }

  @Test
  void aRestartedRestoreGoesOnFromWhereItStopped() {
    LogApplication server = server();
    LogApplication client = log("client");
    Snapshot s = server.snapshot(100);
    client.offerSnapshot(s, server.appHash(100));
    for (int i = 0; i < 3; i++) {
      client.applySnapshotChunk(i, server.loadSnapshotChunk(100, 1, i).orElseThrow(), PEER);
    }

    LogApplication restarted = log("client");
    assertThat(restarted.records()).isEqualTo(client.records());
    assertThat(restarted.offerSnapshot(s, server.appHash(100))).isEqualTo(OfferResult.ACCEPT);
    BitSet applied = restarted.appliedChunks(s);
    assertThat(applied.cardinality()).isEqualTo(3);
    assertThat(applied.nextClearBit(0)).isEqualTo(3);
    for (int i = 3; i < s.chunks(); i++) {
      restarted.applySnapshotChunk(i, server.loadSnapshotChunk(100, 1, i).orElseThrow(), PEER);
    }
    assertThat(restarted.records()).isEqualTo(RECORDS.subList(0, 100));

    // Another snapshot offered after a restart starts from nothing.
    LogApplication again = log("client2");
    again.offerSnapshot(s, server.appHash(100));
    again.applySnapshotChunk(0, server.loadSnapshotChunk(100, 1, 0).orElseThrow(), PEER);
    LogApplication restartedAgain = log("client2");
    Snapshot older = server.snapshot(50);
    assertThat(restartedAgain.offerSnapshot(older, server.appHash(50)))
        .isEqualTo(OfferResult.ACCEPT);
    assertThat(restartedAgain.appliedChunks(older).isEmpty()).isTrue();
    assertThat(restartedAgain.records()).isEmpty();
  }

  /** {@code s} with its metadata's app hash replaced, and its hash made to match. */
  private static Snapshot withAppHash(Snapshot s, Bytes appHash) {
    byte[] meta = s.metadata().toByteArray();
    System.arraycopy(appHash.unsafeArray(), 0, meta, 0, 32);
    Bytes m = Bytes.wrap(meta);
    return new Snapshot(s.height(), s.format(), s.chunks(), LogApplication.sha256(m), m);
  }
}
