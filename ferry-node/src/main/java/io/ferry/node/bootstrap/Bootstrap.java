package io.ferry.node.bootstrap;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.archive.ArchiveName;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.node.NodeStores;
import io.ferry.node.fetch.Downloader;
import io.ferry.node.fetch.Output;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotReader;
import io.ferry.snapshot.SnapshotRestorer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings an empty node's store to a snapshot chosen from gossip: waits (bounded) until a snapshot
 * qualifies under the node's {@link SnapshotTrust} ({@link SnapshotChoice}), downloads its full
 * archive and then its incremental from every advertiser at once over HTTP ({@link Downloader}:
 * parallel ranges, slow servers dropped), restores them with every chunk and the root checked
 * ({@link SnapshotRestorer}) and hands the restored store to the node ({@link Target}). The archive
 * names carry the chosen hashes, so the restore refuses an archive whose manifest is not the one
 * the validators advertised.
 *
 * <p>A server whose bytes fail the restore is found by downloading the archive again from each
 * advertiser alone and reading it through; one whose copy fails is blacklisted for the rest of the
 * bootstrap. When nothing qualifies in time, nobody advertises a snapshot, or every download or
 * restore fails, the bootstrap ends without a store and says why ({@link #done()}); the node then
 * proof-syncs as it would without it.
 *
 * <p>The waiting runs on the given scheduler, whose clock bounds it; downloads and the restore run
 * on the given worker, one bootstrap at a time. A state sync ({@link #withChunks}) holds no thread:
 * it runs on the node's scheduler, and its end brings the worker back to adopt the store or fall
 * back. {@link #report()} may be read from any thread.
 */
public final class Bootstrap implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);
  private static final Duration STOP_WAIT = Duration.ofSeconds(120);

  /**
   * @param trust whose advertisements count
   * @param maxWait the longest time to wait for a snapshot to qualify
   * @param poll how often the gossip table is looked at
   * @param settle once a snapshot qualifies, how long more advertisers may still arrive (one or two
   *     gossip pulls) before the download starts; also how long a table with peers but no
   *     advertisement is given before the bootstrap gives up early
   * @param dir where downloads ({@code downloads/}) and the restored store ({@code state/}) go
   * @param download how archives are fetched
   */
  public record Settings(
      SnapshotTrust trust,
      Duration maxWait,
      Duration poll,
      Duration settle,
      Path dir,
      Downloader.Options download) {}

  /** What the bootstrap reads from the gossip table. */
  public interface Gossip {
    /** Every other node's snapshot advertisement, with its HTTP address if it serves one. */
    List<Advert> adverts();

    /** How many other nodes the table holds a contact info of. */
    int peers();

    /** The root a trusted head names at {@code height}, when the node knows one. */
    Optional<Hash> trustedRootAt(long height);
  }

  /** Where the restored store goes. */
  public interface Target {
    /**
     * Replaces the node's empty store with the one restored in {@code restored} (a directory this
     * call takes over).
     *
     * @param archives the verified archives it was restored from (full first), which the node may
     *     keep and serve; files this call takes over
     */
    void adopt(Path restored, List<Path> archives);
  }

  /**
   * Restores a snapshot chunk by chunk from peers (CometBFT state sync) instead of downloading its
   * archives over HTTP.
   */
  public interface Chunks {
    /**
     * Starts restoring the full snapshot {@code full} into {@code state} (absent). No thread waits
     * for it: the sync runs on the node's scheduler, and the future completes when it ends, or
     * fails (a {@link FerryException} when no peer could serve the snapshot or the application
     * rejected it). Cancelling the future stops the sync.
     */
    CompletableFuture<Fetched> restore(SnapshotHashes.Slot full, Path state);
  }

  /**
   * A snapshot restored from chunks.
   *
   * @param archive the archive assembled from the chunks (the node may keep and serve it)
   * @param bytes chunk bytes fetched
   * @param bytesByPeer chunk bytes each peer sent
   * @param rejected peers rejected for bad chunks
   */
  public record Fetched(
      Path archive,
      RestoreResult result,
      long bytes,
      Map<NodeId, Long> bytesByPeer,
      java.util.Set<NodeId> rejected) {}

  /** Where the bootstrap is. */
  public enum Phase {
    /** Waiting for a snapshot to qualify. */
    WAITING,
    DOWNLOADING,
    RESTORING,
    /** The store holds the restored snapshot. */
    DONE,
    /** Gave up; the node proof-syncs instead ({@link Report#reason()} says why). */
    FALLBACK
  }

  /**
   * One server during the bootstrap.
   *
   * @param bytes archive bytes it sent
   * @param dropped why it was dropped (too slow, stalled, failing) or blacklisted (served bytes
   *     that are not the archive); null while it is in use
   */
  public record ServerReport(NodeId id, long bytes, String dropped) {}

  /**
   * The bootstrap as {@code /status} shows it.
   *
   * @param choice the last choice made: the chosen snapshot, its advertisers, and why others were
   *     rejected
   * @param bytes archive bytes downloaded
   * @param seconds since the bootstrap started, until it ended
   * @param reason for {@link Phase#DONE} what was restored, for {@link Phase#FALLBACK} why not
   */
  public record Report(
      Phase phase,
      Optional<SnapshotChoice> choice,
      List<ServerReport> servers,
      long bytes,
      double seconds,
      String reason) {}

  /**
   * How the bootstrap ended.
   *
   * @param restored whether the store now holds the snapshot
   * @param reason what was restored, or why nothing was
   */
  public record Outcome(boolean restored, String reason) {}

  private final Settings settings;
  private final Gossip gossip;
  private final Target target;
  private final Scheduler scheduler;
  private final ExecutorService worker;
  private final SnapshotRestorer restorer = new SnapshotRestorer(MerkleDBConfig.defaults());
  private final CompletableFuture<Outcome> done = new CompletableFuture<>();

  // Guarded by this.
  private Phase phase = Phase.WAITING;
  private SnapshotChoice choice;
  private final Map<NodeId, ServerState> servers = new LinkedHashMap<>();
  // The download of each archive from several servers, to tell whose bytes were wrong. Worker only.
  private final Map<ArchiveName, Attempt> attempts = new java.util.HashMap<>();
  private long bytes;
  private String reason = "waiting for a snapshot to qualify";
  private long startNanos;
  private long endNanos = -1;
  private Chunks chunks;
  private boolean httpAfterChunks;
  private CompletableFuture<Fetched> chunkSync; // the state sync running, if any

  // Scheduler thread only.
  private long deadlineNanos;
  private long qualifiedNanos = -1;
  private long peersOnlyNanos = -1;
  private volatile boolean started;
  private volatile boolean closed;

  /** One download: which node each URL is, and what each sent. */
  private record Attempt(Map<URI, NodeId> ids, Downloader.Result result) {}

  private static final class ServerState {
    long bytes;
    String dropped;
  }

  public Bootstrap(
      Settings settings,
      Gossip gossip,
      Target target,
      Scheduler scheduler,
      ExecutorService worker) {
    this.settings = settings;
    this.gossip = gossip;
    this.target = target;
    this.scheduler = scheduler;
    this.worker = worker;
  }

  /**
   * Fetches the chosen snapshot by chunks from peers first; when that fails, downloads it over HTTP
   * if {@code thenHttp}, else ends without a store (the node proof-syncs). Before {@link #start}.
   */
  public Bootstrap withChunks(Chunks chunks, boolean thenHttp) {
    this.chunks = chunks;
    this.httpAfterChunks = thenHttp;
    return this;
  }

  /** Starts waiting for a snapshot. Once. */
  public void start() {
    if (started) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the bootstrap has started already");
    }
    started = true;
    long now = scheduler.clock().nanos();
    synchronized (this) {
      startNanos = now;
    }
    deadlineNanos = now + settings.maxWait().toNanos();
    log.info(
        "bootstrap: waiting up to {} s for a snapshot that {} of {} validators advertise ({})",
        settings.maxWait().toSeconds(),
        settings.trust().minAgreement(),
        settings.trust().validators().size(),
        settings.trust().validators());
    scheduler.execute(this::tick);
  }

  /** Completes when the bootstrap ends, restored or not. */
  public CompletableFuture<Outcome> done() {
    return done;
  }

  /** Whether it is still waiting, downloading or restoring. */
  public boolean running() {
    return !done.isDone();
  }

  /** Where it is, for {@code /status}. Any thread. */
  public synchronized Report report() {
    long end = endNanos >= 0 ? endNanos : scheduler.clock().nanos();
    List<ServerReport> list = new ArrayList<>();
    servers.forEach((id, s) -> list.add(new ServerReport(id, s.bytes, s.dropped)));
    return new Report(
        phase, Optional.ofNullable(choice), list, bytes, (end - startNanos) / 1e9, reason);
  }

  // ------------------------------------------------------------------ waiting

  private void tick() {
    if (closed || done.isDone()) {
      return;
    }
    long now = scheduler.clock().nanos();
    List<Advert> adverts = gossip.adverts();
    // Chunks come from any peer that lists the snapshot; only a download needs an HTTP server.
    SnapshotChoice c = SnapshotChoice.choose(adverts, settings.trust(), chunks != null);
    synchronized (this) {
      choice = c;
    }
    if (c.chosen().isPresent()) {
      if (qualifiedNanos < 0) {
        qualifiedNanos = now;
        log.info("bootstrap: {} qualifies; more advertisers may still arrive", describe(c));
      }
      if (now - qualifiedNanos >= settings.settle().toNanos() || now >= deadlineNanos) {
        SnapshotChoice.Chosen chosen = c.chosen().get();
        log.info(
            "bootstrap: chose {} (votes {}), advertised by {}; rejected: {}",
            describe(c),
            chosen.votes(),
            chosen.advertisers(),
            summary(c));
        setPhase(Phase.DOWNLOADING, "downloading");
        try {
          worker.execute(() -> fetchAndRestore(chosen));
        } catch (java.util.concurrent.RejectedExecutionException e) {
          end(false, "the node is stopping");
        }
        return;
      }
    } else if (now >= deadlineNanos) {
      end(
          false,
          "no snapshot qualified within "
              + settings.maxWait().toSeconds()
              + " s"
              + (c.rejected().isEmpty() ? ": no node advertises one" : ": " + summary(c)));
      return;
    } else if (adverts.isEmpty() && gossip.peers() > 0) {
      // Peers answer, but nobody has a snapshot to offer: do not make the node wait for nothing.
      if (peersOnlyNanos < 0) {
        peersOnlyNanos = now;
      } else if (now - peersOnlyNanos >= settings.settle().toNanos()) {
        end(false, "no node advertises a snapshot");
        return;
      }
    }
    scheduler.schedule(settings.poll(), this::tick);
  }

  private static String describe(SnapshotChoice c) {
    SnapshotChoice.Chosen ch = c.chosen().orElseThrow();
    return "full snapshot "
        + ch.full().height()
        + " "
        + ch.full().hash().toBase58()
        + ch.incremental()
            .map(i -> " with incremental " + i.height() + " " + i.hash().toBase58())
            .orElse("");
  }

  /** The rejected snapshots, one line: {@code 120 5kLp… + 124 9xYz…: 1 of 3 votes, needs 2}. */
  static String summary(SnapshotChoice c) {
    StringBuilder b = new StringBuilder();
    for (SnapshotChoice.Rejected r : c.rejected()) {
      b.append(b.isEmpty() ? "" : "; ")
          .append(r.full().height())
          .append(' ')
          .append(r.full().hash().toBase58(), 0, 8)
          .append('…');
      r.incremental()
          .ifPresent(
              i ->
                  b.append(" + ")
                      .append(i.height())
                      .append(' ')
                      .append(i.hash().toBase58(), 0, 8)
                      .append('…'));
      b.append(": ").append(r.reason());
    }
    return b.isEmpty() ? "none" : b.toString();
  }

  // ------------------------------------------------------------------ fetching and restoring

  private void fetchAndRestore(SnapshotChoice.Chosen chosen) {
    if (chunks != null) {
      startChunks(chosen);
    } else {
      download(chosen);
    }
  }

  /** Downloads the chosen archives over HTTP and restores them. Worker only. */
  private void download(SnapshotChoice.Chosen chosen) {
    try {
      Path downloads = Files.createDirectories(settings.dir().resolve("downloads"));
      ArchiveName fullName = ArchiveName.full(chosen.full().height(), chosen.full().hash());
      Path full = acquire(fullName, chosen.fullServers(), downloads);
      Optional<ArchiveName> incName =
          chosen
              .incremental()
              .map(i -> ArchiveName.incremental(chosen.full().height(), i.height(), i.hash()));
      Optional<Path> inc = Optional.empty();
      if (incName.isPresent()) {
        try {
          inc = Optional.of(acquire(incName.get(), chosen.incrementalServers(), downloads));
        } catch (FerryException | IOException e) {
          log.warn(
              "bootstrap: the incremental is unavailable, restoring the full one alone: {}",
              e.toString());
          incName = Optional.empty();
        }
      }
      checkOpen();
      setPhase(Phase.RESTORING, "restoring");
      Path state = settings.dir().resolve("state");
      NodeStores.delete(state); // a restore a crash left unadopted
      Restored r = restore(fullName, full, incName, inc, chosen, state, downloads);
      checkOpen();
      List<Path> archives = new ArrayList<>();
      archives.add(r.full());
      r.incremental().ifPresent(archives::add);
      target.adopt(state, archives);
      end(
          true,
          "restored height "
              + r.result().height()
              + " root "
              + r.result().root().toHex()
              + " ("
              + r.result().keys()
              + " keys) from "
              + archives.stream().map(p -> p.getFileName().toString()).toList());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      end(false, "stopped");
    } catch (IOException | RuntimeException e) {
      log.debug("bootstrap failed", e);
      end(false, e instanceof FerryException fe ? fe.getMessage() : e.toString());
    }
  }

  private record Restored(Path full, Optional<Path> incremental, RestoreResult result) {}

  /**
   * Starts fetching the chosen full snapshot by state sync. The worker does not wait for it: the
   * sync's end brings the worker back ({@link #chunksEnded}). Worker only.
   */
  private void startChunks(SnapshotChoice.Chosen chosen) {
    setPhase(Phase.DOWNLOADING, "fetching chunks from peers");
    Path state = settings.dir().resolve("state");
    CompletableFuture<Fetched> sync;
    try {
      NodeStores.delete(state);
      sync = chunks.restore(chosen.full(), state);
    } catch (RuntimeException e) {
      chunksFailed(chosen, e);
      return;
    }
    synchronized (this) {
      chunkSync = sync;
    }
    if (closed) {
      sync.cancel(false);
    }
    sync.whenComplete(
        (fetched, error) -> {
          try {
            worker.execute(() -> chunksEnded(chosen, state, fetched, error));
          } catch (java.util.concurrent.RejectedExecutionException e) {
            end(false, "stopped");
          }
        });
  }

  /** The state sync ended: adopt what it restored, or fall back. Worker only. */
  private void chunksEnded(SnapshotChoice.Chosen chosen, Path state, Fetched f, Throwable error) {
    synchronized (this) {
      chunkSync = null;
    }
    if (error != null) {
      chunksFailed(
          chosen,
          error instanceof java.util.concurrent.CompletionException c ? c.getCause() : error);
      return;
    }
    try {
      synchronized (this) {
        bytes += f.bytes();
        f.bytesByPeer()
            .forEach((id, b) -> servers.computeIfAbsent(id, k -> new ServerState()).bytes += b);
        f.rejected()
            .forEach(
                id ->
                    servers.computeIfAbsent(id, k -> new ServerState()).dropped =
                        "sent chunks that fail their check");
      }
      checkOpen();
      target.adopt(state, List.of(f.archive()));
      end(
          true,
          "restored height "
              + f.result().height()
              + " root "
              + f.result().root().toHex()
              + " ("
              + f.result().keys()
              + " keys) by state sync from "
              + f.bytesByPeer().size()
              + " peers");
    } catch (RuntimeException e) {
      log.debug("bootstrap failed", e);
      end(false, e instanceof FerryException fe ? fe.getMessage() : e.toString());
    }
  }

  /** The state sync failed: download over HTTP when allowed, else end without a store. */
  private void chunksFailed(SnapshotChoice.Chosen chosen, Throwable e) {
    if (closed || e instanceof java.util.concurrent.CancellationException) {
      end(false, "stopped");
      return;
    }
    String why = e instanceof FerryException fe ? fe.getMessage() : e.toString();
    if (httpAfterChunks) {
      log.warn("bootstrap: state sync failed ({}); downloading over HTTP", why);
      download(chosen);
    } else {
      end(false, "state sync failed: " + why);
    }
  }

  /**
   * Restores the archives; when bytes of one are not what its name promises, finds an intact copy
   * server by server and restores again.
   */
  private Restored restore(
      ArchiveName fullName,
      Path full,
      Optional<ArchiveName> incName,
      Optional<Path> inc,
      SnapshotChoice.Chosen chosen,
      Path state,
      Path downloads)
      throws IOException, InterruptedException {
    try {
      return restoreOnce(fullName, full, incName, inc, state);
    } catch (FerryException e) {
      if (e.code() == ErrorCode.INVALID_ARGUMENT && inc.isPresent()) {
        // The validators vouched for an incremental that is not based on the full archive.
        log.warn("bootstrap: {}; restoring the full archive alone", e.getMessage());
        return restoreOnce(fullName, full, Optional.empty(), Optional.empty(), state);
      }
      if (e.code() != ErrorCode.CORRUPT_DATA && e.code() != ErrorCode.LIMIT_EXCEEDED) {
        throw e;
      }
      log.warn("bootstrap: restore failed ({}); finding the server that lied", e.getMessage());
    }
    Path goodFull = intact(full) ? full : replace(fullName, full, chosen.fullServers(), downloads);
    Optional<Path> goodInc = inc;
    if (inc.isPresent() && !intact(inc.get())) {
      try {
        goodInc =
            Optional.of(
                replace(incName.orElseThrow(), inc.get(), chosen.incrementalServers(), downloads));
      } catch (FerryException e) {
        log.warn(
            "bootstrap: no intact incremental; restoring the full archive alone: {}",
            e.getMessage());
        goodInc = Optional.empty();
      }
    }
    return restoreOnce(
        fullName, goodFull, goodInc.isPresent() ? incName : Optional.empty(), goodInc, state);
  }

  private Restored restoreOnce(
      ArchiveName fullName,
      Path full,
      Optional<ArchiveName> incName,
      Optional<Path> inc,
      Path state) {
    long height = incName.map(ArchiveName::height).orElse(fullName.height());
    // The stronger check when the node knows a trusted head at the snapshot's height: the restored
    // root must be the one that head names (checked from the manifest, before any chunk is read).
    Optional<Hash> trusted = gossip.trustedRootAt(height);
    return new Restored(full, inc, restorer.restore(full, inc, state, trusted));
  }

  /** Downloads {@code name} from every usable server at once into {@code dir}. */
  private Path acquire(ArchiveName name, List<Advert> advertisers, Path dir)
      throws IOException, InterruptedException {
    List<Advert> usable = usable(advertisers);
    if (usable.isEmpty()) {
      throw new FerryException(
          ErrorCode.UNAVAILABLE, "every advertiser of " + name.fileName() + " was dropped");
    }
    // A partial download a stopped node left is resumed.
    return download(name, usable, dir);
  }

  /**
   * Replaces {@code bad}, a download of {@code name} from several servers that is not intact, with
   * an intact copy ({@link #reacquire}), then blacklists every server whose part of {@code bad}
   * differs from that copy.
   */
  private Path replace(ArchiveName name, Path bad, List<Advert> advertisers, Path dir)
      throws IOException, InterruptedException {
    Path suspect = bad.resolveSibling(bad.getFileName() + ".suspect");
    Files.move(bad, suspect, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    try {
      Path good = reacquire(name, advertisers, dir);
      Attempt first = attempts.get(name);
      if (first != null) {
        for (Downloader.Served s : first.result().served()) {
          if (!sameBytes(suspect, good, s.spans())) {
            blacklist(first.ids().get(s.url()), "served bytes that are not " + name.fileName());
          }
        }
      }
      return good;
    } finally {
      Files.deleteIfExists(suspect);
    }
  }

  /** Whether {@code a} and {@code b} hold the same bytes in every span. */
  private static boolean sameBytes(Path a, Path b, List<Downloader.Span> spans) throws IOException {
    try (java.nio.channels.FileChannel ca = java.nio.channels.FileChannel.open(a);
        java.nio.channels.FileChannel cb = java.nio.channels.FileChannel.open(b)) {
      java.nio.ByteBuffer ba = java.nio.ByteBuffer.allocate(1 << 16);
      java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(1 << 16);
      for (Downloader.Span span : spans) {
        for (long at = span.start(); at < span.end(); ) {
          int n = (int) Math.min(ba.capacity(), span.end() - at);
          ba.clear().limit(n);
          bb.clear().limit(n);
          if (readFully(ca, ba, at) < n || readFully(cb, bb, at) < n) {
            return false;
          }
          if (!ba.flip().equals(bb.flip())) {
            return false;
          }
          at += n;
        }
      }
      return true;
    }
  }

  private static int readFully(java.nio.channels.FileChannel c, java.nio.ByteBuffer buf, long at)
      throws IOException {
    int total = 0;
    while (buf.hasRemaining()) {
      int n = c.read(buf, at + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  /**
   * Downloads {@code name} from each usable advertiser alone until a copy reads through intact;
   * blacklists those whose copy does not.
   */
  private Path reacquire(ArchiveName name, List<Advert> advertisers, Path dir)
      throws IOException, InterruptedException {
    for (Advert a : usable(advertisers)) {
      checkOpen();
      Path file;
      try {
        deleteDownload(dir.resolve(name.fileName()));
        file = download(name, List.of(a), dir);
      } catch (FerryException e) {
        continue; // dropped by the download itself, with its reason
      }
      if (intact(file)) {
        return file;
      }
      blacklist(a.origin(), "served bytes that are not " + name.fileName());
    }
    throw new FerryException(
        ErrorCode.UNAVAILABLE, "no advertiser served an intact " + name.fileName());
  }

  private synchronized List<Advert> usable(List<Advert> advertisers) {
    return advertisers.stream()
        .filter(a -> servers.get(a.origin()) == null || servers.get(a.origin()).dropped == null)
        .toList();
  }

  private Path download(ArchiveName name, List<Advert> from, Path dir)
      throws IOException, InterruptedException {
    Path file = dir.resolve(name.fileName());
    Map<URI, NodeId> ids = new LinkedHashMap<>();
    for (Advert a : from) {
      ids.put(URI.create("http://" + a.http().orElseThrow() + "/" + name.fileName()), a.origin());
    }
    synchronized (this) {
      ids.values().forEach(id -> servers.computeIfAbsent(id, k -> new ServerState()));
    }
    log.info("bootstrap: downloading {} from {} servers", name.fileName(), ids.size());
    try (Downloader d = new Downloader()) {
      Downloader.Result r =
          d.download(
              List.copyOf(ids.keySet()),
              Output.file(file),
              settings.download().withReplace(true),
              (present, size) -> {});
      if (from.size() > 1) {
        attempts.put(name, new Attempt(ids, r));
      }
      synchronized (this) {
        bytes += r.fetched();
        for (Downloader.Served s : r.served()) {
          servers.get(ids.get(s.url())).bytes += s.bytes();
        }
        for (String why : r.dropped()) {
          ids.forEach(
              (url, id) -> {
                if (why.startsWith(url + ":") && servers.get(id).dropped == null) {
                  servers.get(id).dropped = why.substring(url.toString().length() + 1).strip();
                }
              });
        }
      }
      return r.file();
    } catch (FerryException e) {
      if (from.size() == 1) {
        blacklist(from.get(0).origin(), e.getMessage());
      }
      throw e;
    }
  }

  private synchronized void blacklist(NodeId id, String why) {
    ServerState s = servers.computeIfAbsent(id, k -> new ServerState());
    if (s.dropped == null) {
      s.dropped = why;
      log.warn("bootstrap: server {} dropped: {}", id.shortString(), why);
    }
  }

  /**
   * Whether {@code archive} reads through: its manifest is the one its name carries, every chunk.
   */
  private static boolean intact(Path archive) {
    try (SnapshotReader r = SnapshotReader.open(archive)) {
      while (r.next().isPresent()) {
        // each chunk is checked as it is read
      }
      return true;
    } catch (FerryException e) {
      if (e.code() == ErrorCode.CORRUPT_DATA || e.code() == ErrorCode.LIMIT_EXCEEDED) {
        log.info("bootstrap: {} is not intact: {}", archive.getFileName(), e.getMessage());
        return false;
      }
      throw e;
    }
  }

  private static void deleteDownload(Path file) throws IOException {
    Files.deleteIfExists(file);
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".part"));
    Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".part.state"));
  }

  private void checkOpen() {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "stopped");
    }
  }

  // ------------------------------------------------------------------ state

  private synchronized void setPhase(Phase p, String why) {
    phase = p;
    reason = why;
  }

  private void end(boolean restored, String why) {
    synchronized (this) {
      if (done.isDone()) {
        return;
      }
      phase = restored ? Phase.DONE : Phase.FALLBACK;
      reason = why;
      endNanos = scheduler.clock().nanos();
    }
    if (restored) {
      log.info("bootstrap: {}", why);
    } else {
      log.warn("bootstrap: falling back to proof sync: {}", why);
    }
    done.complete(new Outcome(restored, why));
  }

  /** Stops waiting, the state sync or the download; waits for a restore in progress to end. */
  @Override
  public void close() {
    closed = true;
    CompletableFuture<Fetched> sync;
    synchronized (this) {
      sync = chunkSync;
    }
    if (sync != null) {
      sync.cancel(false);
    }
    worker.shutdownNow();
    try {
      if (!worker.awaitTermination(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
        log.warn("bootstrap: the restore did not stop in {} s", STOP_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    end(false, "stopped");
  }
}
