package io.ferry.blocks.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.blocks.Upload;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.erasure.DatasetCoder;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.net.testing.TestNet;
import io.ferry.net.testing.Wire;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The exchange between nodes on one virtual-time test network: whole datasets fetched and streamed,
 * from one peer and from several, with peers that lack blocks, lie or stay silent.
 */
class ExchangeTest {
  static final int BLOCK = 4096;
  static final ExchangeConfig CONFIG =
      new ExchangeConfig(
          64, 8, Duration.ofSeconds(2), 8, Duration.ofMillis(100), Duration.ofSeconds(10));

  private final TestNet net = new TestNet(Duration.ofMillis(5));

  record Peer(Wire wire, MemoryStore kv, BlockStore store, BlockExchange exchange) {
    NodeId id() {
      return wire.localId();
    }
  }

  @AfterEach
  void close() {
    net.close();
  }

  private Peer peer(int seed) {
    return peer(seed, Providers.NONE);
  }

  private Peer peer(int seed, Providers providers) {
    return peer(seed, providers, CONFIG);
  }

  private Peer peer(int seed, Providers providers, ExchangeConfig config) {
    Wire w = net.transport(TestNet.key(seed));
    MemoryStore kv = new MemoryStore();
    BlockStore store = new BlockStore(kv, 1L << 30);
    BlockExchange ex =
        net.closeLater(
            new BlockExchange(
                w,
                store,
                net.scheduler(),
                new SeededRandomSource(seed),
                Runnable::run,
                config,
                providers,
                Optional.of(DatasetCoder::repair)));
    return new Peer(w, kv, store, ex);
  }

  static byte[] data(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  static Manifest put(Peer p, byte[] data) {
    return Upload.put(
        p.store(),
        new ByteArrayInputStream(data),
        BLOCK,
        "d.bin",
        "application/octet-stream",
        Optional.empty());
  }

  private Download fetch(Peer p, Cid cid) {
    CompletableFuture<Manifest> m = p.exchange().manifest(cid);
    net.advanceUntil(m::isDone, Duration.ofSeconds(30));
    Download d = p.exchange().download(cid, m.join());
    net.advanceUntil(() -> d.done().isDone(), Duration.ofMinutes(2));
    assertThat(d.done()).isCompleted();
    return d;
  }

  /** Puts {@code data} erasure coded into {@code p}'s store. */
  static Manifest putProtected(Peer p, byte[] data, int k, int m) {
    return Upload.put(
        p.store(),
        new ByteArrayInputStream(data),
        BLOCK,
        "p.bin",
        "",
        Optional.of(new Upload.Ec(k, m)));
  }

  /** Gives {@code to} the manifest and the leaves in [{@code from}, {@code until}) of a dataset. */
  static void copyLeaves(Peer source, Peer to, Manifest m, int from, int until) {
    to.store().putManifest(m);
    for (int i = from; i < until; i++) {
      BlockStore.Leaf l = source.store().leaf(m.tree(), i).orElseThrow();
      to.store().putLeaf(m.tree(), i, l.data(), l.proof());
    }
  }

  static byte[] content(Peer p, Manifest m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < m.contentBlocks(); i++) {
      out.writeBytes(p.store().leaf(m.tree(), i).orElseThrow().data());
    }
    return java.util.Arrays.copyOf(out.toByteArray(), (int) m.contentSize());
  }

  @Test
  void aDatasetComesWholeFromOnePeer() {
    Peer holder = peer(1);
    Peer fetcher = peer(2);
    byte[] data = data(100 * BLOCK + 17, 1);
    Manifest m = put(holder, data);
    net.connect(fetcher.wire(), holder.wire());
    fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    assertThat(fetcher.store().manifest(m.cid())).contains(m);
    // The manifest and each of the 101 leaves, once: one peer, so no end-game duplicates.
    assertThat(holder.exchange().server().blocksSent()).isEqualTo(1 + 101);
  }

  @Test
  void blocksComeFromEveryPeerThatHasThem() throws Exception {
    List<Peer> holders = new ArrayList<>();
    byte[] data = data(200 * BLOCK, 2);
    Manifest m = null;
    for (int i = 1; i <= 4; i++) {
      Peer h = peer(i);
      m = put(h, data);
      holders.add(h);
    }
    Peer fetcher = peer(9);
    for (Peer h : holders) {
      net.connect(fetcher.wire(), h.wire());
    }
    Download d = fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    Map<NodeId, Ledger> ledgers = ledgers(d);
    long delivered = 0;
    for (Peer h : holders) {
      assertThat(ledgers.get(h.id()).delivered()).as("blocks from %s", h.id()).isPositive();
      delivered += ledgers.get(h.id()).delivered();
    }
    assertThat(delivered).isBetween(200L, 200L + CONFIG.endGame());
  }

  /** Flips a byte of a stored block under the store, as rot on a disk would. */
  static void rot(Peer p, Manifest m, int index) {
    byte[] data = p.store().leaf(m.tree(), index).orElseThrow().data();
    byte[] bad = data.clone();
    bad[bad.length / 2] ^= 0x5a;
    p.kv()
        .write(
            new io.ferry.merkledb.store.WriteBatch()
                .put(
                    BlockStore.BLOCKS,
                    Cid.hash(io.ferry.blocks.cid.Multicodec.RAW, data).toBytes(),
                    bad));
  }

  private Map<NodeId, Ledger> ledgers(Download d) throws Exception {
    CompletableFuture<Map<NodeId, Ledger>> f = d.ledgers();
    net.settle();
    return f.get(1, TimeUnit.SECONDS);
  }

  @Test
  void aPeerThatLacksABlockSaysSoAndTheWantMovesAtOnce() {
    byte[] data = data(40 * BLOCK, 3);
    Peer full = peer(1);
    Manifest m = put(full, data);
    Peer partial = peer(2);
    put(partial, data);
    Peer fetcher = peer(3);
    net.connect(fetcher.wire(), partial.wire());
    net.connect(fetcher.wire(), full.wire());
    CompletableFuture<Manifest> mf = fetcher.exchange().manifest(m.cid());
    net.advanceUntil(mf::isDone, Duration.ofSeconds(10));
    // The partial peer announced every leaf, then lost half of them: it answers DONT_HAVE.
    partial.store().delete(m.cid());
    Duration start = net.now();
    Download d = fetcher.exchange().download(m.cid(), mf.join());
    net.advanceUntil(() -> d.done().isDone(), Duration.ofSeconds(30));
    assertThat(content(fetcher, m)).isEqualTo(data);
    assertThat(net.now().minus(start)).isLessThan(CONFIG.requestTimeout());
  }

  @Test
  void aLiarIsBannedAndTheDatasetStillArrivesExact() {
    byte[] data = data(60 * BLOCK, 4);
    Peer honest = peer(1);
    Manifest m = put(honest, data);
    Peer liar = peer(2);
    put(liar, data);
    for (int i = 0; i < m.blocks(); i++) {
      rot(liar, m, i);
    }
    Peer fetcher = peer(3);
    net.connect(fetcher.wire(), liar.wire());
    net.connect(fetcher.wire(), honest.wire());
    fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    assertThat(fetcher.wire().peerManager().isBanned(liar.id())).isTrue();
    assertThat(fetcher.wire().peerManager().isBanned(honest.id())).isFalse();
  }

  /** A peer that answers want-haves but drops every want-block: its blocks never come. */
  private static void silence(Peer p) {
    p.wire()
        .filterInbound(
            payload ->
                Messages.decode(payload).wants().stream()
                    .noneMatch(
                        w -> !w.have() && !w.cancel() && w.address() instanceof Address.Leaf));
  }

  @Test
  void theEndGameTakesASilentPeersBlocksFromAnotherWithoutWaitingForTimeouts() throws Exception {
    byte[] data = data(50 * BLOCK, 5);
    Peer silent = peer(1);
    Manifest m = put(silent, data);
    Peer honest = peer(2);
    put(honest, data);
    Peer fetcher = peer(3);
    silence(silent);
    net.connect(fetcher.wire(), silent.wire());
    net.connect(fetcher.wire(), honest.wire());
    Duration start = net.now();
    Download d = fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    assertThat(net.now().minus(start)).isLessThan(CONFIG.requestTimeout());
    assertThat(silent.wire().droppedInbound()).isPositive();
    assertThat(ledgers(d).get(silent.id()).delivered()).isZero();
    assertThat(ledgers(d).get(honest.id()).delivered()).isEqualTo(50);
  }

  @Test
  void withoutAnEndGameASilentPeerCostsATimeoutNotTheDownload() throws Exception {
    byte[] data = data(50 * BLOCK, 5);
    Peer silent = peer(1);
    Manifest m = put(silent, data);
    Peer honest = peer(2);
    put(honest, data);
    ExchangeConfig noEndGame =
        new ExchangeConfig(
            64, 8, Duration.ofSeconds(2), 0, Duration.ofMillis(100), Duration.ofSeconds(10));
    Peer fetcher = peer(3, Providers.NONE, noEndGame);
    silence(silent);
    net.connect(fetcher.wire(), silent.wire());
    net.connect(fetcher.wire(), honest.wire());
    Download d = fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    Ledger ofSilent = ledgers(d).get(silent.id());
    assertThat(ofSilent.delivered()).isZero();
    assertThat(ofSilent.failures()).isPositive();
  }

  @Test
  void aReaderGetsBlocksInOrderBeforeTheDatasetIsWhole() throws Exception {
    byte[] data = data(300 * BLOCK, 6);
    Peer holder = peer(1);
    Manifest m = put(holder, data);
    Peer fetcher = peer(2);
    net.connect(fetcher.wire(), holder.wire());
    CompletableFuture<Manifest> mf = fetcher.exchange().manifest(m.cid());
    net.advanceUntil(mf::isDone, Duration.ofSeconds(10));
    Download d = fetcher.exchange().download(m.cid(), mf.join());
    Download.Reader r = d.reader(0);
    CompletableFuture<byte[]> first = r.block(0);
    net.advanceUntil(first::isDone, Duration.ofSeconds(10));
    assertThat(d.done()).isNotDone();
    assertThat(first.get()).isEqualTo(java.util.Arrays.copyOf(data, BLOCK));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(first.get());
    for (int i = 1; i < m.contentBlocks(); i++) {
      CompletableFuture<byte[]> b = r.block(i);
      net.advanceUntil(b::isDone, Duration.ofSeconds(10));
      out.writeBytes(b.get());
    }
    assertThat(out.toByteArray()).isEqualTo(data);
  }

  @Test
  void aManifestNoOneHasFailsAsNotFound() {
    Peer holder = peer(1);
    Peer fetcher = peer(2);
    net.connect(fetcher.wire(), holder.wire());
    Cid nowhere = put(peer(3), data(BLOCK, 7)).cid();
    CompletableFuture<Manifest> mf = fetcher.exchange().manifest(nowhere);
    net.advanceUntil(mf::isDone, Duration.ofSeconds(30));
    assertThat(mf)
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }

  @Test
  void providersAreDialledAndAskedAlongsideConnectedPeers() {
    byte[] data = data(30 * BLOCK, 8);
    Peer holder = peer(1);
    Manifest m = put(holder, data);
    Peer[] fetcher = new Peer[1];
    Providers dir =
        new Providers() {
          @Override
          public List<NodeId> lookup(Cid manifest) {
            return manifest.equals(m.cid()) ? List.of(holder.id()) : List.of();
          }

          @Override
          public CompletableFuture<NodeId> dial(NodeId peer) {
            // Joined here: virtual time must not run on while a memory transport connects.
            NodeId id =
                fetcher[0].wire().connect(holder.wire().address().withId(holder.id())).join();
            return CompletableFuture.completedFuture(id);
          }
        };
    fetcher[0] = peer(2, dir);
    assertThat(fetcher[0].wire().peers()).isEmpty();
    fetch(fetcher[0], m.cid());
    assertThat(content(fetcher[0], m)).isEqualTo(data);
  }

  @Test
  void blocksNoPeerHasAreRebuiltFromTheirGroupsParity() {
    // 4+2 over 37 blocks: 10 steps. The only holder lacks the first two columns of every group
    // (blocks 0 to 19): each group has lost two blocks, which its two parity blocks restore.
    byte[] data = data(37 * BLOCK - 100, 9);
    Peer scratch = peer(8);
    Manifest m = putProtected(scratch, data, 4, 2);
    int steps = (int) m.protection().orElseThrow().steps(BLOCK);
    assertThat(steps).isEqualTo(10);
    assertThat(m.blocks()).isEqualTo(60);
    Peer holder = peer(1);
    copyLeaves(scratch, holder, m, 2 * steps, m.blocks());
    Peer fetcher = peer(2);
    net.connect(fetcher.wire(), holder.wire());
    fetch(fetcher, m.cid());
    assertThat(content(fetcher, m)).isEqualTo(data);
    // The rebuilt blocks are stored with proofs the fetcher derived, and serve a third node.
    for (int i = 0; i < 2 * steps; i++) {
      assertThat(fetcher.store().leaf(m.tree(), i).orElseThrow().proof())
          .isEqualTo(scratch.store().leaf(m.tree(), i).orElseThrow().proof());
    }
  }

  @Test
  void aGroupThatLostMoreThanItsParityWaitsInsteadOfGuessing() {
    byte[] data = data(8 * BLOCK, 10);
    Peer scratch = peer(8);
    Manifest m = putProtected(scratch, data, 4, 1);
    int steps = (int) m.protection().orElseThrow().steps(BLOCK);
    Peer holder = peer(1);
    copyLeaves(scratch, holder, m, 2 * steps, m.blocks());
    Peer fetcher = peer(2);
    net.connect(fetcher.wire(), holder.wire());
    CompletableFuture<Manifest> mf = fetcher.exchange().manifest(m.cid());
    net.advanceUntil(mf::isDone, Duration.ofSeconds(10));
    Download d = fetcher.exchange().download(m.cid(), mf.join());
    net.advance(Duration.ofSeconds(20));
    assertThat(d.done()).isNotDone();
    // The other half arrives: the download completes with the exact bytes.
    Peer late = peer(3);
    copyLeaves(scratch, late, m, 0, 2 * steps);
    net.connect(fetcher.wire(), late.wire());
    net.advanceUntil(() -> d.done().isDone(), Duration.ofSeconds(30));
    assertThat(content(fetcher, m)).isEqualTo(data);
  }

  /**
   * An uploader whose parity does not match its data (the tree is over the wrong parity): a block
   * rebuilt from it fails its derived proof, and the download fails rather than yield wrong bytes.
   */
  @Test
  void parityThatDoesNotMatchTheDataFailsTheDownload() {
    byte[] data = data(8 * BLOCK, 11);
    Peer holder = peer(1);
    io.ferry.blocks.store.DatasetWriter w = holder.store().newDataset(BLOCK);
    for (int i = 0; i < 8; i++) {
      w.add(java.util.Arrays.copyOfRange(data, i * BLOCK, (i + 1) * BLOCK));
    }
    for (int i = 0; i < 4; i++) {
      w.add(data(BLOCK, 100 + i)); // "parity" of random bytes, 4+2 over 2 steps
    }
    Manifest m =
        w.finish(
            "bad.bin",
            "",
            Optional.of(new io.ferry.blocks.dataset.Protection(4, 2, m0(data), data.length)));
    // A second node holds all but the first column.
    Peer partial = peer(2);
    copyLeaves(holder, partial, m, 2, m.blocks());
    Peer fetcher = peer(3);
    net.connect(fetcher.wire(), partial.wire());
    CompletableFuture<Manifest> mf = fetcher.exchange().manifest(m.cid());
    net.advanceUntil(mf::isDone, Duration.ofSeconds(10));
    Download d = fetcher.exchange().download(m.cid(), mf.join());
    net.advanceUntil(() -> d.done().isDone(), Duration.ofSeconds(30));
    assertThat(d.done())
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .havingCause()
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED));
    assertThat(fetcher.store().hasLeaf(m.tree(), 0)).isFalse();
  }

  private static Cid m0(byte[] data) {
    List<io.ferry.core.Hash> leaves = new ArrayList<>();
    for (int i = 0; i * BLOCK < data.length; i++) {
      leaves.add(
          io.ferry.core.Hash.wrap(
              io.ferry.core.Sha256Hasher.newDigest()
                  .digest(java.util.Arrays.copyOfRange(data, i * BLOCK, (i + 1) * BLOCK))));
    }
    return io.ferry.blocks.dataset.BlockTree.of(leaves).cid();
  }

  @Test
  void aProviderThatCannotBeReachedIsDialledOncePerRedialInterval() {
    Peer fetcher = peer(2);
    Cid nowhere = put(peer(3), data(BLOCK, 12)).cid();
    NodeId gone = TestNet.key(77).id();
    java.util.concurrent.atomic.AtomicInteger dials =
        new java.util.concurrent.atomic.AtomicInteger();
    Peer counting =
        peer(
            4,
            new Providers() {
              @Override
              public List<NodeId> lookup(Cid manifest) {
                return List.of(gone);
              }

              @Override
              public CompletableFuture<NodeId> dial(NodeId peer) {
                dials.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("unreachable"));
              }
            });
    net.connect(counting.wire(), fetcher.wire());
    CompletableFuture<Manifest> mf = counting.exchange().manifest(nowhere);
    net.advance(Duration.ofSeconds(25));
    // Rounds run every 400 ms; the unreachable provider is dialled at 0, 10 and 20 s only.
    assertThat(dials.get()).isBetween(2, 3);
    net.advanceUntil(mf::isDone, Duration.ofSeconds(30));
    assertThat(mf).isCompletedExceptionally();
  }
}
