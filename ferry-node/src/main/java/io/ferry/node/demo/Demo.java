package io.ferry.node.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.node.api.StateClient;
import io.ferry.node.api.VerifiedRead;
import io.ferry.node.fetch.Downloader;
import io.ferry.node.fetch.Output;
import io.ferry.snapshot.RestoreResult;
import io.ferry.snapshot.SnapshotRestorer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole pipeline on one machine, each node its own process on loopback: a producer with a
 * generated state that keeps committing; two peers that proof-sync from it and follow; a newcomer
 * given one entrypoint that finds the others through gossip and proof-syncs from all three at once
 * while the target moves, then follows; and a snapshot downloaded over HTTP from several nodes at
 * once and restored into a second directory, its root checked against the producer's signed head;
 * and a node state-synced by chunks from three peers (the producer's snapshot, vouched for by its
 * signed gossip); a key the application writes through the producer's write API, pushed to every
 * follower and proved there; and the newest snapshot fetched by its CID over the block exchange
 * from every node holding it, streamed and restored. Ends with a summary table.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class Demo {
  /** What a run is given. */
  public record Options(
      Path dir, long keys, int updatesPerCommit, Duration commitInterval, long snapshotInterval) {}

  /** One row of the summary. */
  public record Phase(String name, long bytes, double seconds, String root, boolean verified) {}

  private final Options options;
  private final PrintWriter out;
  private final Runner runner;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Phase> phases = new ArrayList<>();
  private final Map<Long, String> producerRoots = new HashMap<>();
  private final StatusBar bar;

  /** Runs a ferry command in this JVM (the state generator); returns its last output line. */
  @FunctionalInterface
  public interface Runner {
    String run(String... args);
  }

  public Demo(Options options, PrintWriter out, Runner runner, boolean progressBars) {
    this.options = options;
    this.out = out;
    this.runner = runner;
    this.bar = new StatusBar(progressBars);
  }

  public List<Phase> phases() {
    return phases;
  }

  /** Runs every phase; returns true when every root checked out. */
  public boolean run() throws Exception {
    Path run = freshRunDir(options.dir());
    Thread stopper = new Thread(this::stopAll, "demo-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      return phases(run);
    } finally {
      stopAll();
      try {
        Runtime.getRuntime().removeShutdownHook(stopper);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs
      }
      http.shutdownNow();
    }
  }

  private boolean phases(Path run) throws Exception {
    out.printf("ferry demo in %s%n", run);
    // 1. The producer's state.
    Path producerDir = run.resolve("producer");
    long t0 = System.nanoTime();
    out.printf("1. generate the producer's state: %,d keys of 32 + 100 bytes%n", options.keys());
    out.flush();
    String root0 =
        runner.run(
            "state",
            "generate",
            "--data",
            producerDir.toString(),
            "--keys",
            Long.toString(options.keys()),
            "--value-size",
            "100");
    phases.add(new Phase("generate", options.keys() * 132, secs(t0), root0, true));
    NodeKey producerKey = KeyFile.loadOrCreate(producerDir.resolve("node.key"));
    out.printf("   root %s; producer id %s%n", root0, producerKey.id());

    // 2. The producer starts committing.
    out.println("2. start the producer: it commits and signs a head every interval");
    NodeProcess producer =
        start(
            "producer",
            producerDir,
            List.of(
                "--produce",
                "--updates-per-commit",
                Integer.toString(options.updatesPerCommit()),
                "--commit-interval",
                Long.toString(options.commitInterval().toMillis()),
                "--snapshot-interval",
                Long.toString(options.snapshotInterval()),
                "--incremental-interval",
                "0",
                "--api",
                "127.0.0.1:0"));
    out.printf("   p2p %s, http %s, write API %s%n", producer.p2p, producer.base, producer.api);
    // These followers proof-sync (steps 3 and 4): a newcomer would otherwise restore the snapshot
    // the producer advertises, which step 6 fetches and restores by hand.
    List<String> follow =
        List.of(
            "--trust-producer",
            producerKey.id().toString(),
            "--bootstrap-wait",
            "0",
            "--head-interval",
            "250",
            "--snapshot-interval",
            Long.toString(options.snapshotInterval()),
            "--incremental-interval",
            "0");

    // 3. Two peers sync from it.
    out.println("3. two peers proof-sync from the producer, then follow it");
    out.flush();
    t0 = System.nanoTime();
    NodeProcess peer1 = start("peer-1", run.resolve("peer-1"), withPeers(follow, producer));
    NodeProcess peer2 = start("peer-2", run.resolve("peer-2"), withPeers(follow, producer));
    List<JsonNode> synced = awaitFollowing("peers sync", List.of(peer1, peer2), producer);
    long peerBytes = synced.stream().mapToLong(s -> s.path("sync").path("bytes").asLong()).sum();
    phases.add(phaseAt("peers sync (2 nodes)", peerBytes, secs(t0), synced.get(0)));
    report(synced, List.of(peer1, peer2));

    // 4. The newcomer gets one entrypoint and the producer's id, finds the rest through gossip,
    // and syncs from all three while the producer keeps committing.
    String entrypoint = producer.p2p.substring(producer.p2p.indexOf('@') + 1);
    out.printf(
        "4. a newcomer given only the entrypoint %s and the producer's id finds the other nodes"
            + " through gossip and syncs from all three at once while the producer commits%n",
        entrypoint);
    out.flush();
    t0 = System.nanoTime();
    List<String> newcomerArgs = new ArrayList<>(follow);
    newcomerArgs.addAll(List.of("--entrypoint", entrypoint));
    NodeProcess newcomer = start("newcomer", run.resolve("newcomer"), newcomerArgs);
    JsonNode n = awaitFollowing("newcomer sync", List.of(newcomer), producer).get(0);
    out.printf(
        "   found through gossip: %d nodes in its cluster list, %d connected%n",
        n.path("cluster").size(), n.path("peers").size());
    phases.add(
        phaseAt("newcomer sync (3 sources)", n.path("sync").path("bytes").asLong(), secs(t0), n));
    report(List.of(n), List.of(newcomer));
    out.printf(
        "   %,d proofs, %d target updates while it synced, %d lies%n",
        n.path("sync").path("proofs").asLong(),
        n.path("sync").path("target_updates").asInt(),
        n.path("sync").path("lies").asLong());

    // 5. It follows the producer.
    long from = n.path("height").asLong();
    t0 = System.nanoTime();
    JsonNode followed = awaitHeight(newcomer, producer, from + 3);
    phases.add(phaseAt("newcomer follows 3 commits", 0, secs(t0), followed));
    out.printf(
        "5. the newcomer follows the producer's commits (pushed, or change proofs when a push is missed): height %d -> %d, root %s%n",
        from, followed.path("height").asLong(), followed.path("root").asText());

    // 6. A snapshot from several nodes at once, restored elsewhere.
    out.println("6. download the newest snapshot from the producer and both peers at once");
    out.flush();
    String archive = awaitCommonSnapshot(List.of(producer, peer1, peer2));
    Path downloads = Files.createDirectories(run.resolve("downloads"));
    t0 = System.nanoTime();
    Downloader.Result got;
    try (Downloader d = new Downloader()) {
      List<URI> urls = new ArrayList<>();
      for (NodeProcess p : List.of(producer, peer1, peer2)) {
        // By name, not /snapshot.tar.zst: the nodes keep making archives, and the redirect may
        // already lead to a newer one than the archive this file is named and checked after.
        urls.add(p.base.resolve("/" + archive));
      }
      got =
          d.download(
              urls,
              Output.file(downloads.resolve(archive)),
              Downloader.Options.DEFAULT.withConnections(6),
              (present, size) -> bar.show("fetch", present, size, "MiB", 1 << 20));
    }
    bar.done();
    double fetchSecs = secs(t0);
    long height = Long.parseLong(archive.split("-")[1]);
    String trusted = producerRoots.get(height);
    out.printf(
        "   %s: %,d bytes in %.2f s from %d servers%s%n",
        archive,
        got.size(),
        fetchSecs,
        3 - got.dropped().size(),
        got.dropped().isEmpty() ? "" : " (dropped: " + got.dropped() + ")");
    phases.add(new Phase("snapshot fetch (3 sources)", got.size(), fetchSecs, "", false));

    out.println("7. restore it into a new data directory, checking every chunk and the root");
    out.flush();
    t0 = System.nanoTime();
    Path restored = run.resolve("restored");
    RestoreResult r =
        new SnapshotRestorer(MerkleDBConfig.defaults())
            .restore(
                got.file(),
                Optional.empty(),
                restored.resolve("state"),
                Optional.ofNullable(trusted).map(Hash::fromHex));
    boolean rootOk = trusted != null && r.root().toHex().equals(trusted);
    phases.add(new Phase("snapshot restore", got.size(), secs(t0), r.root().toHex(), rootOk));
    out.printf(
        "   height %d, %,d keys, root %s: %s%n",
        r.height(),
        r.keys(),
        r.root().toHex(),
        rootOk
            ? "equals the producer's signed head at that height"
            : "NOT CHECKED against the producer's head (height " + height + " not seen)");

    // 8. The same kind of snapshot over the peer protocol: chunks from all three at once, each
    // checked against the manifest the producer's signed gossip vouches for (CometBFT state sync).
    out.println(
        "8. a new node state-syncs the producer's snapshot by chunks from the producer and both"
            + " peers at once");
    out.flush();
    t0 = System.nanoTime();
    String chunkRoot =
        runner.run(
            "sync",
            "--method",
            "chunks",
            "--data",
            run.resolve("chunk-synced").toString(),
            "--trust-producer",
            producerKey.id().toString(),
            "--peer",
            producer.p2p,
            "--peer",
            peer1.p2p,
            "--peer",
            peer2.p2p,
            "--discovery-time",
            "5",
            "--timeout",
            "300");
    double chunkSecs = secs(t0);
    // The snapshot may be one the producer made after the last poll: its roots now, recent ones
    // included, before the check.
    recordProducer(producer);
    boolean chunkOk = producerRoots.containsValue(chunkRoot);
    long chunkBytes = archiveBytes(run.resolve("chunk-synced").resolve("snapshots"));
    phases.add(new Phase("state sync (3 peers)", chunkBytes, chunkSecs, chunkRoot, chunkOk));
    out.printf(
        "   root %s in %.2f s: %s%n",
        chunkRoot,
        chunkSecs,
        chunkOk ? "a root the producer signed" : "NOT a root the producer was seen to sign");

    boolean written = writeThroughApi(producer, producerKey, List.of(peer1, peer2, newcomer));

    boolean byCid = snapshotByCid(run, List.of(producer, peer1, peer2), newcomer);

    boolean rootsEqual = summary(run, producer, List.of(peer1, peer2, newcomer));
    return rootsEqual && rootOk && chunkOk && written && byCid;
  }

  /**
   * 9. The application's own write: a key committed through the producer's write API, then read on
   * every follower with a proof checked against the producer's signed head, timed from the API's
   * answer to the first proved read (each follower's {@code /v1/state} asked every few
   * milliseconds), and whether it arrived by push (the follower's applied pushes grew).
   */
  private boolean writeThroughApi(
      NodeProcess producer, NodeKey producerKey, List<NodeProcess> followers) throws Exception {
    out.println(
        "9. the application writes a key through the producer's API; every follower gets it pushed"
            + " and proves it");
    out.flush();
    byte[] k = new byte[32];
    new java.security.SecureRandom().nextBytes(k);
    Bytes key = Bytes.wrap(k);
    Bytes value =
        Bytes.wrap("written by the demo".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Map<String, Long> pushedBefore = new HashMap<>();
    for (NodeProcess f : followers) {
      JsonNode st = f.status();
      pushedBefore.put(f.name, st == null ? 0 : st.path("push").path("applied").asLong());
    }
    String body = "{\"put\": {\"" + key.toHex() + "\": \"" + value.toHex() + "\"}}";
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(producer.api.resolve("/v1/commit"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long t0 = System.nanoTime();
    if (r.statusCode() != 200) {
      out.printf("   the write API answered %d: %s%n", r.statusCode(), r.body());
      phases.add(new Phase("API write, pushed", 0, 0, "", false));
      return false;
    }
    JsonNode answer = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
    long height = answer.path("height").asLong();
    out.printf("   committed at height %d, root %s%n", height, answer.path("root").asText());
    StateClient reads = new StateClient(Duration.ofSeconds(5));
    Map<String, Double> latency = new java.util.LinkedHashMap<>();
    Map<String, VerifiedRead> proved = new HashMap<>();
    long deadline = t0 + Duration.ofSeconds(60).toNanos();
    while (latency.size() < followers.size() && System.nanoTime() < deadline) {
      for (NodeProcess f : followers) {
        if (latency.containsKey(f.name)) {
          continue;
        }
        try {
          VerifiedRead v =
              VerifiedRead.check(
                  reads.fetch(f.base, key), key, producerKey.id(), BranchFactor.BF16);
          if (v.value().isPresent()) {
            latency.put(f.name, (System.nanoTime() - t0) / 1e6);
            proved.put(f.name, v);
          }
        } catch (FerryException e) {
          if (e.code() == ErrorCode.VERIFICATION_FAILED) {
            out.printf("   %s: %s%n", f.name, e.getMessage());
            phases.add(new Phase("API write, pushed", 0, secs(t0), "", false));
            return false;
          }
          // not there yet, or no head for its state yet: ask again
        }
      }
      Thread.sleep(2);
    }
    boolean ok = latency.size() == followers.size();
    double slowest = 0;
    for (NodeProcess f : followers) {
      JsonNode st = f.status();
      long pushed = st == null ? 0 : st.path("push").path("applied").asLong();
      Double ms = latency.get(f.name);
      VerifiedRead v = proved.get(f.name);
      if (ms == null) {
        out.printf("   %-9s did not prove the value within 60 s%n", f.name);
        continue;
      }
      slowest = Math.max(slowest, ms);
      out.printf(
          "   %-9s %6.1f ms  %s, proved against the producer's head %d%n",
          f.name, ms, pushed > pushedBefore.get(f.name) ? "pushed" : "polled", v.head().height());
    }
    phases.add(
        new Phase(
            "API write, pushed (" + followers.size() + ")",
            0,
            slowest / 1e3,
            answer.path("root").asText(),
            ok));
    return ok;
  }

  /**
   * 10. The newest full snapshot fetched by its CID over the block exchange: every node publishes
   * its archives as datasets, and identical archives have one CID, so the newcomer's node streams
   * it from all three holders at once ({@code /api/v1/data/CID/network/stream}), checking each
   * block against the dataset's tree as it arrives; the file is then restored and its root checked
   * against the producer's signed head.
   */
  private boolean snapshotByCid(Path run, List<NodeProcess> holders, NodeProcess fetcher)
      throws Exception {
    out.println(
        "10. the newest snapshot by its CID over the block exchange: streamed from every node"
            + " holding it, then restored");
    out.flush();
    String archive = awaitCommonSnapshot(holders);
    String cid = awaitDataset(holders, archive);
    out.printf("   %s is dataset %s on %d nodes%n", archive, cid, holders.size());
    Path file = Files.createDirectories(run.resolve("blocks")).resolve(archive);
    long t0 = System.nanoTime();
    HttpResponse<Path> r =
        http.send(
            HttpRequest.newBuilder(fetcher.base.resolve("/api/v1/data/" + cid + "/network/stream"))
                .timeout(Duration.ofMinutes(10))
                .build(),
            HttpResponse.BodyHandlers.ofFile(file));
    double fetchSecs = secs(t0);
    long bytes = Files.size(file);
    if (r.statusCode() != 200) {
      out.printf("   the stream answered %d%n", r.statusCode());
      phases.add(new Phase("snapshot by CID (blocks)", bytes, fetchSecs, "", false));
      return false;
    }
    out.printf(
        "   streamed %,d bytes in %.2f s (%.1f MiB/s), every block checked against the tree%n",
        bytes, fetchSecs, bytes / fetchSecs / (1 << 20));
    phases.add(
        new Phase("snapshot by CID (" + holders.size() + " holders)", bytes, fetchSecs, "", false));
    t0 = System.nanoTime();
    long height = Long.parseLong(archive.split("-")[1]);
    recordProducer(holders.get(0));
    String trusted = producerRoots.get(height);
    RestoreResult restored =
        new SnapshotRestorer(MerkleDBConfig.defaults())
            .restore(
                file,
                Optional.empty(),
                run.resolve("restored-from-blocks").resolve("state"),
                Optional.ofNullable(trusted).map(Hash::fromHex));
    boolean ok = trusted != null && restored.root().toHex().equals(trusted);
    phases.add(new Phase("restore (from blocks)", bytes, secs(t0), restored.root().toHex(), ok));
    out.printf(
        "   restored height %d, %,d keys, root %s: %s%n",
        restored.height(),
        restored.keys(),
        restored.root().toHex(),
        ok ? "equals the producer's signed head at that height" : "NOT the producer's root");
    return ok;
  }

  /** Waits until every node in {@code who} holds {@code archive} as a dataset; its CID. */
  private String awaitDataset(List<NodeProcess> who, String archive) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      List<String> cids = new ArrayList<>();
      for (NodeProcess p : who) {
        checkAlive(p);
        cids.add(datasetCid(p.status(), archive));
      }
      if (cids.get(0) != null && cids.stream().allMatch(cids.get(0)::equals)) {
        bar.done();
        return cids.get(0);
      }
      bar.show("datasets", cids.stream().filter(Objects::nonNull).count(), who.size(), "nodes");
      Thread.sleep(250);
    }
    throw new FerryException(
        ErrorCode.TIMEOUT, "the nodes never published " + archive + " as one dataset");
  }

  private static String datasetCid(JsonNode status, String archive) {
    if (status == null) {
      return null;
    }
    for (JsonNode s : status.path("snapshots")) {
      if (s.path("name").asText().equals(archive) && s.hasNonNull("dataset_cid")) {
        return s.path("dataset_cid").asText();
      }
    }
    return null;
  }

  /** Bytes of the archives in {@code dir}: what a state sync fetched, kept as an archive. */
  private static long archiveBytes(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    long total = 0;
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        total += Files.size(f);
      }
    }
    return total;
  }

  private static List<String> withPeers(List<String> args, NodeProcess... peers) {
    List<String> all = new ArrayList<>(args);
    for (NodeProcess p : peers) {
      all.add("--peer");
      all.add(p.p2p);
    }
    return all;
  }

  private NodeProcess start(String name, Path data, List<String> args) throws IOException {
    Files.createDirectories(data);
    NodeProcess p = NodeProcess.start(name, data, http, args);
    nodes.add(p);
    return p;
  }

  /** Polls until every node follows a head within one commit of the producer's. */
  private List<JsonNode> awaitFollowing(String what, List<NodeProcess> who, NodeProcess producer)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
    while (true) {
      JsonNode p = recordProducer(producer);
      List<JsonNode> states = new ArrayList<>();
      double covered = 0;
      boolean all = true;
      for (NodeProcess node : who) {
        checkAlive(node);
        JsonNode s = node.status();
        states.add(s);
        if (s == null) {
          all = false;
          continue;
        }
        covered += s.path("sync").path("covered").asDouble();
        boolean following = s.path("phase").asText().equals("following");
        all &= following && p != null && p.path("height").asLong() - s.path("height").asLong() <= 1;
      }
      if (all) {
        bar.done();
        return states;
      }
      bar.show(what, Math.round(covered / who.size() * 100), 100, "% of the key space");
      if (System.nanoTime() > deadline) {
        throw new FerryException(ErrorCode.TIMEOUT, what + " did not finish in 30 minutes");
      }
      Thread.sleep(200);
    }
  }

  private JsonNode awaitHeight(NodeProcess node, NodeProcess producer, long height)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (System.nanoTime() < deadline) {
      recordProducer(producer);
      checkAlive(node);
      JsonNode s = node.status();
      if (s != null && s.path("height").asLong() >= height && producerHas(s)) {
        return s;
      }
      Thread.sleep(200);
    }
    throw new FerryException(ErrorCode.TIMEOUT, node.name + " did not reach height " + height);
  }

  private boolean producerHas(JsonNode s) {
    return Objects.equals(producerRoots.get(s.path("height").asLong()), s.path("root").asText());
  }

  /** Waits until every node serves the same newest full archive; returns its file name. */
  private String awaitCommonSnapshot(List<NodeProcess> who) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < deadline) {
      recordProducer(who.get(0));
      List<String> newest = new ArrayList<>();
      for (NodeProcess p : who) {
        checkAlive(p);
        newest.add(newestFull(p.status()));
      }
      if (newest.get(0) != null && newest.stream().allMatch(newest.get(0)::equals)) {
        bar.done();
        return newest.get(0);
      }
      bar.show("archives", newest.stream().filter(Objects::nonNull).count(), who.size(), "nodes");
      Thread.sleep(250);
    }
    throw new FerryException(ErrorCode.TIMEOUT, "the nodes never held the same full archive");
  }

  private static String newestFull(JsonNode status) {
    if (status == null) {
      return null;
    }
    String best = null;
    long bestHeight = -1;
    for (JsonNode s : status.path("snapshots")) {
      if (s.path("kind").asText().equals("full") && s.path("height").asLong() > bestHeight) {
        bestHeight = s.path("height").asLong();
        best = s.path("name").asText();
      }
    }
    return best;
  }

  private JsonNode recordProducer(NodeProcess producer) {
    JsonNode s = producer.status();
    if (s != null) {
      producerRoots.put(s.path("height").asLong(), s.path("root").asText());
      // The last revisions too, so a height committed between two polls is not missed.
      for (JsonNode r : s.path("recent")) {
        producerRoots.put(r.path("height").asLong(), r.path("root").asText());
      }
    }
    return s;
  }

  private static void checkAlive(NodeProcess p) {
    if (!p.alive()) {
      throw new FerryException(
          ErrorCode.UNAVAILABLE,
          p.name + " exited; see " + p.data.resolve("stderr.txt") + " and its logs/ferry.log");
    }
  }

  private Phase phaseAt(String name, long bytes, double secs, JsonNode s) {
    return new Phase(name, bytes, secs, s.path("root").asText(), producerHas(s));
  }

  private void report(List<JsonNode> states, List<NodeProcess> who) {
    for (int i = 0; i < who.size(); i++) {
      JsonNode s = states.get(i);
      out.printf(
          "   %s: height %d, root %s, %,d keys and %,d bytes fetched%n",
          who.get(i).name,
          s.path("height").asLong(),
          s.path("root").asText(),
          s.path("sync").path("keys").asLong(),
          s.path("sync").path("bytes").asLong());
    }
    out.flush();
  }

  /** Prints the table; returns true if every node's root equals the producer's at its height. */
  private boolean summary(Path run, NodeProcess producer, List<NodeProcess> followers)
      throws InterruptedException {
    out.println();
    out.printf("%-28s %12s %9s %11s  %s%n", "phase", "bytes", "time", "rate", "verified root");
    for (Phase p : phases) {
      out.printf(
          "%-28s %12s %8.2fs %11s  %s%n",
          p.name(),
          p.bytes() == 0 ? "-" : String.format("%,d", p.bytes()),
          p.seconds(),
          p.bytes() == 0 || p.seconds() == 0
              ? "-"
              : String.format("%.1f MB/s", p.bytes() / p.seconds() / 1e6),
          p.root().isEmpty()
              ? "(checked at restore)"
              : shortRoot(p.root()) + (p.verified() ? " = producer's" : " UNVERIFIED"));
    }
    // Every follower at the same height as the producer holds the same root.
    boolean equal = true;
    out.println();
    for (NodeProcess f : followers) {
      JsonNode s = awaitHeight(f, producer, 0);
      boolean same = producerHas(s);
      equal &= same;
      out.printf(
          "%-9s height %d root %s %s%n",
          f.name,
          s.path("height").asLong(),
          s.path("root").asText(),
          same ? "= the producer's root at that height" : "DIFFERS from the producer's");
    }
    out.println();
    out.println("data: " + run);
    out.println(
        "logs: "
            + run.resolve("<node>/logs/ferry.log")
            + " (nodes: producer, peer-1,"
            + " peer-2, newcomer)");
    out.println(equal ? "demo: every root checked out" : "demo: FAILED, roots differ");
    out.flush();
    return equal;
  }

  private static String shortRoot(String hex) {
    return hex.length() > 16 ? hex.substring(0, 16) + "…" : hex;
  }

  private void stopAll() {
    bar.done();
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** A new {@code run-N} directory under {@code dir}, so earlier runs stay for inspection. */
  static Path freshRunDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (int i = 1; ; i++) {
      Path p = dir.resolve("run-" + i);
      if (!Files.exists(p)) {
        return Files.createDirectories(p);
      }
    }
  }
}
