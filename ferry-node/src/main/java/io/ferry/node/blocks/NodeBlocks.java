package io.ferry.node.blocks;

import io.ferry.blocks.Upload;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.discovery.ProviderRecords;
import io.ferry.blocks.exchange.BlockExchange;
import io.ferry.blocks.exchange.Download;
import io.ferry.blocks.store.BlockStore;
import io.ferry.blocks.store.StoredDataset;
import io.ferry.node.NodeStatus;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's part in the block exchange, as the node assembles it: its {@link BlockStore}, the {@link
 * ProviderRecords} it announces on the gossip plane, and the {@link BlockExchange} that serves and
 * fetches blocks. Datasets put here are pinned and announced; every dataset the store holds
 * completely is announced at start; one the store evicts is withdrawn (the node wires {@link
 * #removed} as the store's removal listener).
 *
 * <p>Thread-safe. The node closes the exchange and the store; this class owns neither.
 */
public final class NodeBlocks {
  private static final Logger log = LoggerFactory.getLogger(NodeBlocks.class);

  private final BlockStore store;
  private final ProviderRecords providers;
  private final BlockExchange exchange;

  public NodeBlocks(BlockStore store, ProviderRecords providers, BlockExchange exchange) {
    this.store = store;
    this.providers = providers;
    this.exchange = exchange;
  }

  public BlockStore store() {
    return store;
  }

  public BlockExchange exchange() {
    return exchange;
  }

  public ProviderRecords providers() {
    return providers;
  }

  /**
   * Announces every dataset held completely, as a provider of it: what a node does at start, since
   * its records did not survive the restart.
   *
   * @return how many it announced
   */
  public int announceHeld() {
    int n = 0;
    for (StoredDataset d : store.datasets()) {
      if (d.manifestCid().isPresent() && d.complete()) {
        providers.announce(d.manifestCid().get(), d.tree(), true);
        n++;
      }
    }
    if (n > 0) {
      log.info("announced {} datasets held here", n);
    }
    return n;
  }

  /** The store removed the dataset {@code manifest} names: no longer a provider of it. */
  public void removed(Cid manifest) {
    providers.withdraw(manifest);
  }

  /**
   * Puts a dataset read from {@code in} into the store, pins it and announces it. Blocks while it
   * reads: call on a worker.
   *
   * @throws io.ferry.core.FerryException from {@link Upload#put}: bad arguments, an empty input, a
   *     full store
   */
  public Manifest put(
      InputStream in, int blockSize, String filename, String mimetype, Optional<Upload.Ec> ec) {
    Manifest m = Upload.put(store, in, blockSize, filename, mimetype, ec);
    Cid cid = m.cid();
    store.pin(cid);
    providers.announce(cid, m.tree(), true);
    log.info(
        "stored dataset {} ({}, {} bytes in {} blocks)",
        cid,
        filename,
        m.contentSize(),
        m.blocks());
    return m;
  }

  /**
   * Whether every block of the content {@code m} names is here: a local read serves it without the
   * network.
   */
  public boolean holdsContent(Manifest m) {
    return store.held(m.tree()).nextClearBit(0) >= m.contentBlocks();
  }

  /** The {@code blocks} object of {@code /status}. */
  public NodeStatus.BlocksStatus status() {
    List<NodeStatus.DatasetStatus> datasets = new ArrayList<>();
    for (StoredDataset d : store.datasets()) {
      datasets.add(
          new NodeStatus.DatasetStatus(
              d.manifestCid().map(Cid::toString).orElse(null),
              d.tree().toString(),
              d.manifest().map(Manifest::filename).orElse(null),
              d.manifest().map(Manifest::contentSize).orElse(null),
              d.heldLeaves(),
              d.manifest().map(Manifest::blocks).orElse(null),
              d.complete(),
              d.pinned()));
    }
    List<NodeStatus.DownloadStatus> downloads = new ArrayList<>();
    for (Download d : exchange.downloads()) {
      Download.Progress p = progress(d);
      if (p == null) {
        continue;
      }
      Manifest m = d.manifest();
      downloads.add(
          new NodeStatus.DownloadStatus(
              d.manifestCid().toString(),
              m.filename(),
              m.contentSize(),
              p.blocks(),
              p.held(),
              p.bytes(),
              p.peers(),
              p.inflight(),
              p.repaired()));
    }
    return new NodeStatus.BlocksStatus(
        store.usedBytes(),
        store.quotaBytes(),
        exchange.server().blocksSent(),
        exchange.server().bytesSent(),
        exchange.blocksReceived(),
        exchange.bytesReceived(),
        datasets,
        downloads);
  }

  /** A download's counts, asked of its scheduler; null if it does not answer within a second. */
  private static Download.Progress progress(Download d) {
    CompletableFuture<Download.Progress> f = d.progress();
    try {
      return f.get(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return null;
    }
  }

  /** Registers the {@code ferry_blocks_*} metrics. */
  public void registerMetrics(PrometheusRegistry registry) {
    CounterWithCallback.builder()
        .name("ferry_blocks_sent_blocks")
        .help("Blocks this node sent to peers")
        .callback(cb -> cb.call(exchange.server().blocksSent()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_blocks_sent_bytes")
        .help("Bytes of blocks this node sent to peers")
        .callback(cb -> cb.call(exchange.server().bytesSent()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_blocks_received_blocks")
        .help("Blocks this node received from peers, verified or not")
        .callback(cb -> cb.call(exchange.blocksReceived()))
        .register(registry);
    CounterWithCallback.builder()
        .name("ferry_blocks_received_bytes")
        .help("Bytes of blocks this node received from peers, verified or not")
        .callback(cb -> cb.call(exchange.bytesReceived()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_blocks_used_bytes")
        .help("Bytes the block store holds")
        .callback(cb -> cb.call(store.usedBytes()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_blocks_quota_bytes")
        .help("Bytes the block store may hold before it evicts")
        .callback(cb -> cb.call(store.quotaBytes()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_blocks_datasets")
        .help("Datasets in the block store, complete or not")
        .callback(cb -> cb.call(store.datasets().size()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("ferry_blocks_downloads")
        .help("Block-exchange downloads running")
        .callback(cb -> cb.call(exchange.downloads().size()))
        .register(registry);
  }
}
