package io.ferry.node.blocks;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.StoredDataset;
import io.ferry.core.FerryException;
import io.ferry.core.archive.ArchiveName;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.SnapshotArchives;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the node's snapshot archives as datasets: each archive in the snapshot directory is
 * imported into the block store (named by its file name, mime type {@value #MIMETYPE}), pinned and
 * announced, so any node can fetch it by CID from every node that holds it; the dataset of an
 * archive that retention deleted is deleted too (retention chose to drop it; a copy left to the
 * quota would hold a snapshot's worth of disk for nothing, every few minutes).
 *
 * <p>The archive directory is the truth: {@link #reconcile} compares it with the pinned datasets
 * named as archives and closes the gap, so a restart, an archive adopted from a bootstrap or an
 * import cut short by a crash are all caught up the next time. It runs on one background worker,
 * after each archive the node makes and once at start. (A dataset a user uploaded under an
 * archive's name would be deleted too: such names belong to the snapshot directory.)
 *
 * <p>Thread-safe: reconciliations run one at a time on the worker.
 */
public final class SnapshotDatasets {
  private static final Logger log = LoggerFactory.getLogger(SnapshotDatasets.class);

  /** What a {@code .tar.zst} archive is, as a whole. */
  public static final String MIMETYPE = "application/zstd";

  private final NodeBlocks blocks;
  private final Path dir;
  private final Executor worker;
  private final AtomicBoolean queued = new AtomicBoolean();

  /**
   * @param dir the node's snapshot directory
   * @param worker one thread: imports read whole archives
   */
  public SnapshotDatasets(NodeBlocks blocks, Path dir, Executor worker) {
    this.blocks = blocks;
    this.dir = dir;
    this.worker = worker;
  }

  /** Queues a reconciliation, unless one is queued and not yet started. */
  public void reconcileLater() {
    if (!queued.compareAndSet(false, true)) {
      return;
    }
    try {
      worker.execute(
          () -> {
            queued.set(false);
            try {
              reconcile();
            } catch (RuntimeException e) {
              log.warn("publishing snapshot archives as datasets failed: {}", e.toString(), e);
            }
          });
    } catch (RejectedExecutionException e) {
      queued.set(false); // the node is stopping
    }
  }

  /** Imports the archives not yet in the store and deletes the datasets of archives gone. */
  void reconcile() {
    List<ArchiveFile> archives = SnapshotArchives.list(dir);
    Set<String> onDisk = new HashSet<>();
    for (ArchiveFile a : archives) {
      onDisk.add(a.path().getFileName().toString());
    }
    Map<String, StoredDataset> stored = archiveDatasets();
    for (ArchiveFile a : archives) {
      String name = a.path().getFileName().toString();
      StoredDataset d = stored.get(name);
      if (d == null || !d.complete() || !d.pinned()) {
        publish(a.path(), name);
      }
    }
    for (Map.Entry<String, StoredDataset> e : stored.entrySet()) {
      if (!onDisk.contains(e.getKey())) {
        Cid cid = e.getValue().manifestCid().orElseThrow();
        blocks.store().delete(cid);
        log.info("archive {} is gone: its dataset {} is deleted", e.getKey(), cid);
      }
    }
  }

  /** The complete or partial datasets named as archives, by file name (pinned ones first). */
  private Map<String, StoredDataset> archiveDatasets() {
    Map<String, StoredDataset> out = new HashMap<>();
    for (StoredDataset d : blocks.store().datasets()) {
      Optional<Manifest> m = d.manifest();
      if (m.isEmpty() || ArchiveName.parse(m.get().filename()).isEmpty()) {
        continue;
      }
      out.merge(m.get().filename(), d, (a, b) -> a.pinned() && a.complete() ? a : b);
    }
    return out;
  }

  private void publish(Path archive, String name) {
    try (InputStream in = Files.newInputStream(archive)) {
      Manifest m = blocks.put(in, Manifest.DEFAULT_BLOCK_SIZE, name, MIMETYPE, Optional.empty());
      log.info("archive {} is dataset {}", name, m.cid());
    } catch (NoSuchFileException e) {
      log.debug("archive {} was deleted before it was published", name);
    } catch (IOException | FerryException e) {
      log.warn("archive {} could not be published as a dataset: {}", name, e.getMessage());
    }
  }

  /** The dataset CID of each archive the store holds whole, by file name: for status. */
  public Map<String, Cid> cids() {
    Map<String, Cid> out = new HashMap<>();
    for (Map.Entry<String, StoredDataset> e : archiveDatasets().entrySet()) {
      if (e.getValue().complete()) {
        out.put(e.getKey(), e.getValue().manifestCid().orElseThrow());
      }
    }
    return out;
  }
}
