package io.ferry.sim.blocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.BlockStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.sim.SimNode;
import io.ferry.sim.SimSeed;
import io.ferry.sim.SimSeedExtension;
import io.ferry.sim.Simulation;
import io.ferry.sim.blocks.BlockWorld.BlockNode;
import io.ferry.sim.blocks.BlockWorld.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A dataset held by 10 of 200 simulated nodes, two of the 10 lying about every block they send,
 * fetched by 20 others through provider records, over lossy links while nodes crash and restart:
 * every downloader ends with the exact bytes, and every node a liar lied to has banned it.
 */
@ExtendWith(SimSeedExtension.class)
class BlockSimulationTest {
  static final int NODES = 200;
  static final int HOLDERS = 10;
  static final int LIARS = 2;
  static final int DOWNLOADERS = 20;
  static final int BLOCK = 16 * 1024;

  @Test
  void tenHoldersOfTwoHundredServeTwentyDownloadersThroughChurnLossAndLiars(
      @SimSeed(12) long seed) {
    byte[] data = new byte[2 * 1024 * 1024 + 1234];
    new Random(seed).nextBytes(data);
    Manifest manifest = BlockWorld.put(new BlockStore(new MemoryStore(), 1L << 30), data, BLOCK);
    try (BlockWorld w =
        new BlockWorld(
            seed, data, manifest, n -> BlockWorld.put(n.store, data, BLOCK), Optional.empty())) {
      List<SimNode<BlockNode>> downloaders = new ArrayList<>();
      List<SimNode<BlockNode>> churners = new ArrayList<>();
      for (int i = 0; i < NODES; i++) {
        Role role =
            i >= 3 && i < 3 + HOLDERS - LIARS
                ? Role.HOLDER
                : i >= 3 + HOLDERS - LIARS && i < 3 + HOLDERS
                    ? Role.LIAR
                    : i >= 50 && i < 50 + DOWNLOADERS ? Role.DOWNLOADER : Role.PLAIN;
        SimNode<BlockNode> n = w.add(String.format("n%03d", i), role);
        if (role == Role.DOWNLOADER) {
          downloaders.add(n);
        }
        if (role != Role.LIAR && i >= 3) {
          churners.add(n);
        }
      }
      // Gossip spreads contacts and provider records first; then everyone fetches at once.
      w.startDownloads(Duration.ofSeconds(20));
      churn(w, churners, Duration.ofSeconds(21), Duration.ofSeconds(60));
      boolean done =
          w.sim.runUntil(() -> downloaders.stream().allMatch(w::complete), Duration.ofMinutes(10));
      assertThat(done)
          .as(
              "every downloader completes (%s)%n%s",
              Simulation.replayHint(seed), w.report(downloaders))
          .isTrue();
      for (SimNode<BlockNode> d : downloaders) {
        assertThat(w.content(d)).as(d.name()).isEqualTo(data);
      }
      assertThat(w.victims()).as("the liars told lies").isPositive();
      assertThat(w.liesUnpunished()).isEmpty();
    }
  }

  /**
   * An erasure-coded (4+2) dataset spread over six holders, each holding one column of every group
   * (blocks {@code j·steps} to {@code (j+1)·steps - 1}); two data columns' holders crash for good
   * while ten downloaders fetch: every group has lost two blocks, and every downloader completes by
   * decoding them from the parity.
   */
  @Test
  void withFourPlusTwoTwoHoldersOfEveryGroupGoneMidDownloadTheDataIsRebuilt(
      @SimSeed(21) long seed) {
    byte[] data = new byte[1024 * 1024 - 999];
    new Random(seed).nextBytes(data);
    BlockStore scratch = new BlockStore(new MemoryStore(), 1L << 30);
    Manifest manifest =
        io.ferry.blocks.Upload.put(
            scratch,
            new java.io.ByteArrayInputStream(data),
            BLOCK,
            "p.bin",
            "",
            Optional.of(new io.ferry.blocks.Upload.Ec(4, 2)));
    int steps = (int) manifest.protection().orElseThrow().steps(BLOCK);
    try (BlockWorld w =
        new BlockWorld(
            seed,
            data,
            manifest,
            n -> {
              int column = Integer.parseInt(n.ctx.name().substring("col".length()));
              n.store.putManifest(manifest);
              for (int i = column * steps; i < (column + 1) * steps; i++) {
                BlockStore.Leaf l = scratch.leaf(manifest.tree(), i).orElseThrow();
                n.store.putLeaf(manifest.tree(), i, l.data(), l.proof());
              }
            },
            Optional.of(io.ferry.blocks.erasure.DatasetCoder::repair))) {
      for (int i = 0; i < 3; i++) {
        w.add("entry" + i, Role.PLAIN);
      }
      List<SimNode<BlockNode>> columns = new ArrayList<>();
      for (int j = 0; j < 6; j++) {
        columns.add(w.add("col" + j, Role.HOLDER));
      }
      List<SimNode<BlockNode>> downloaders = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        downloaders.add(w.add(String.format("d%02d", i), Role.DOWNLOADER));
      }
      for (int i = 0; i < 30; i++) {
        w.add(String.format("p%02d", i), Role.PLAIN);
      }
      w.startDownloads(Duration.ofSeconds(20));
      // Mid-download: as soon as the first downloader has the manifest and starts asking for
      // blocks (a holder answers a want-block with up to a megabyte at once, so waiting for the
      // first block would let every block of the dataset through).
      boolean started =
          w.sim.runUntil(
              () -> downloaders.stream().anyMatch(d -> d.isUp() && d.app().download != null),
              Duration.ofMinutes(2));
      assertThat(started).isTrue();
      assertThat(downloaders.stream().allMatch(w::complete)).isFalse();
      w.sim.crash(columns.get(0));
      w.sim.crash(columns.get(1));
      boolean done =
          w.sim.runUntil(() -> downloaders.stream().allMatch(w::complete), Duration.ofMinutes(5));
      assertThat(done)
          .as(
              "every downloader completes (%s)%n%s",
              Simulation.replayHint(seed), w.report(downloaders))
          .isTrue();
      List<java.util.concurrent.CompletableFuture<io.ferry.blocks.exchange.Download.Progress>>
          progress = new ArrayList<>();
      for (SimNode<BlockNode> d : downloaders) {
        assertThat(w.content(d)).as(d.name()).isEqualTo(data);
        progress.add(d.app().download.progress());
      }
      w.sim.run(Duration.ofMillis(1)); // the counts are read on each node's scheduler
      long repaired = progress.stream().mapToLong(p -> p.join().repaired()).sum();
      assertThat(repaired).as("blocks rebuilt by decoding").isPositive();
    }
  }

  /** Every couple of seconds one node crashes, and comes back one to five seconds later. */
  private static void churn(
      BlockWorld w, List<SimNode<BlockNode>> nodes, Duration from, Duration until) {
    Random r = new Random(w.random.nextLong());
    for (Duration t = from; t.compareTo(until) < 0; t = t.plusMillis(1500 + r.nextInt(1500))) {
      SimNode<BlockNode> n = nodes.get(r.nextInt(nodes.size()));
      Duration back = t.plusSeconds(1 + r.nextInt(5));
      w.sim.schedule(
          t,
          () -> {
            if (n.isUp()) {
              w.sim.crash(n);
              w.sim.schedule(back.minus(w.sim.now()), () -> w.sim.restart(n));
            }
          });
    }
  }
}
