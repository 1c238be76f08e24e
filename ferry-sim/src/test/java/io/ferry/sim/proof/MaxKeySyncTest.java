package io.ferry.sim.proof;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Limits;
import io.ferry.net.TransportConfig;
import io.ferry.sim.LinkModel;
import io.ferry.sim.SimNode;
import io.ferry.sim.SimSeed;
import io.ferry.sim.SimSeedExtension;
import io.ferry.sync.proof.ProofSyncServer;
import io.ferry.sync.proof.client.SyncConfig;
import io.ferry.sync.proof.client.SyncManager;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A store holding the largest key there is (0xff repeated {@link Limits#MAX_KEY_BYTES} times) syncs
 * like any other: no key follows it, so the range it ends is done, and the client never asks for a
 * start key longer than a key may be (which the server refuses as a protocol violation).
 */
@ExtendWith(SimSeedExtension.class)
class MaxKeySyncTest {
  private static final TransportConfig TRANSPORT =
      TransportConfig.DEFAULT.withTimeouts(
          Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(3));

  private static final Duration MINUTE = Duration.ofMinutes(1);

  private static Bytes filled(int length, int b) {
    byte[] k = new byte[length];
    Arrays.fill(k, (byte) b);
    return Bytes.wrap(k);
  }

  @Test
  void aStoreWithTheLargestKeySyncsWithoutABan(@SimSeed(8) long seed) {
    try (SyncWorld w = new SyncWorld(seed, 1_000, TRANSPORT, LinkModel.DEFAULT)) {
      w.put(filled(Limits.MAX_KEY_BYTES, 0xff), Bytes.fromHex("01"));
      // A maximal key whose successor is not an extension of it.
      w.put(
          Bytes.wrap(
              concat(new byte[] {0x42}, filled(Limits.MAX_KEY_BYTES - 1, 0xff).toByteArray())),
          Bytes.fromHex("02"));
      SimNode<ProofSyncServer> server = w.addServer("server", null);
      SimNode<SyncClient> client = w.addClient(SyncConfig.DEFAULT.withLimits(64, 1 << 20));
      SyncManager sync = client.app().sync;

      assertThat(w.runUntil(() -> sync.done().isDone(), Duration.ofMinutes(2)))
          .as("the sync ends; stats %s", sync.stats())
          .isTrue();
      assertThat(sync.done()).isCompletedWithValue(w.target());
      assertThat(client.app().local.root()).isEqualTo(w.target());
      assertThat(server.transport().peerManager().isBanned(client.id())).isFalse();
      assertThat(sync.stats().lies()).isZero();
    }
  }

  /**
   * The target moves by a change of the largest key once the last range is done: the change proof
   * that brings that range up to date ends at the largest key, and the range is done.
   */
  @Test
  void aChangeOfTheLargestKeyCatchesUpWithoutABan(@SimSeed(9) long seed) {
    try (SyncWorld w = new SyncWorld(seed, 6_000, TRANSPORT, LinkModel.DEFAULT)) {
      // Two servers take all eight first ranges at once, the last one among them.
      SimNode<ProofSyncServer> server = w.addServer("server", null);
      w.addServer("other", null);
      SimNode<SyncClient> client = w.addClient(SyncConfig.DEFAULT.withLimits(64, 1 << 20));
      SyncManager sync = client.app().sync;
      assertThat(w.runUntil(() -> lastRangeDone(client) || sync.done().isDone(), MINUTE)).isTrue();
      assertThat(sync.done()).as("the sync is still running").isNotDone();
      TreeMap<Bytes, Optional<Bytes>> change = new TreeMap<>();
      change.put(filled(Limits.MAX_KEY_BYTES, 0x80), Optional.of(Bytes.fromHex("02")));
      change.put(filled(Limits.MAX_KEY_BYTES, 0xff), Optional.of(Bytes.fromHex("03")));
      w.moveTarget(change);

      assertThat(w.runUntil(() -> sync.done().isDone(), MINUTE))
          .as("the sync ends; stats %s", sync.stats())
          .isTrue();
      assertThat(sync.done()).isCompletedWithValue(w.target());
      assertThat(client.app().local.root()).isEqualTo(w.target());
      assertThat(sync.stats().targetUpdates()).isEqualTo(1);
      assertThat(server.transport().peerManager().isBanned(client.id())).isFalse();
      assertThat(sync.stats().lies()).isZero();
    }
  }

  /** Whether the client has stored the range that ends the key space as done. */
  private static boolean lastRangeDone(SimNode<SyncClient> client) {
    return client.app().staging.progress().stream().anyMatch(c -> c.range().end().isEmpty());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
