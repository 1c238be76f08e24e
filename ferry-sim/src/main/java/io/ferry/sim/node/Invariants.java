package io.ferry.sim.node;

import com.google.protobuf.ByteString;
import io.ferry.blocks.discovery.ProviderRecords;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import io.ferry.node.Node;
import io.ferry.sim.SimNode;
import io.ferry.snapshot.ArchiveFile;
import io.ferry.snapshot.Manifest;
import io.ferry.snapshot.SnapshotArchives;
import io.ferry.snapshot.SnapshotReader;
import io.ferry.snapshot.SnapshotRestorer;
import io.ferry.sync.push.Commit;
import io.ferry.sync.push.Messages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What must hold in every whole-node simulation, checked every few seconds of virtual time and at
 * the end:
 *
 * <ul>
 *   <li><b>Same state.</b> An honest node's store is at a state the producer had at the same height
 *       (its root equals the producer's root there). A store holding an unverified key would have
 *       another root, so this also says no store ever held one where the checker could see it.
 *   <li><b>True pushes.</b> Every commit the producer or an honest node pushes goes from a state
 *       the producer had to the next one it had: its parent root and its signed head's root are the
 *       producer's at their heights ({@link #pushed}, judged as a node's state is). A relay pushes
 *       only what it applied, so a commit it re-applied onto the wrong state shows here.
 *   <li><b>Never back.</b> A node's height never goes down, within an incarnation or across a crash
 *       and restart.
 *   <li><b>No stall.</b> Once the faults have healed and {@link #RECOVERY} has passed, every honest
 *       node behind the producer moves forward between two checks; at the end every honest node is
 *       up and within {@link #ALLOWED_LAG} commits of the producer.
 *   <li><b>Liars banned, honest ones not.</b> At the end every liar is banned by some honest node,
 *       and no honest node is banned by another.
 *   <li><b>No invalid gossip.</b> At the end no honest node's gossip table holds a value that
 *       breaks its kind's rule or whose signature does not verify (liars send such values).
 *   <li><b>True archives.</b> Every archive the producer or an honest node holds reads (its
 *       manifest is the one its name commits to) and is of a state the producer had at its height.
 *       At the end the producer holds the full archive of its last height due one, and each node's
 *       newest full archive, with its newest incremental on top, restores ({@link
 *       SnapshotRestorer#restoreInto}, every chunk checked, into memory) to the producer's root at
 *       that height. Each archive found is {@link io.ferry.sim.Simulation#observe observed} into
 *       the trace, so the trace hash covers what the archives hold (their names commit to it).
 * </ul>
 *
 * <p>Violations are collected, not thrown, so a run reports all of them. Single-threaded.
 */
final class Invariants {
  /**
   * Commits an honest node may be behind the producer at the end of a run. Followers chase the
   * newest head, which their peers lag behind by a hop each; push sync (step 11) closes the gap.
   */
  static final long ALLOWED_LAG = 30;

  /** Time after the faults stop in which nodes restart, reconnect and resync unchecked. */
  static final java.time.Duration RECOVERY = java.time.Duration.ofSeconds(30);

  private final TreeMap<Long, Hash> producerRoots = new TreeMap<>();
  private final Map<String, Long> lastHeight = new TreeMap<>();
  private final Map<String, Long> heightAtCrash = new TreeMap<>();
  private final List<String> violations = new ArrayList<>();
  // States nodes were seen at before the checker saw the producer at that height.
  private final TreeMap<String, Claim> unconfirmed = new TreeMap<>();

  // Archives already found, "node/file name"; the state each archive name's manifest holds; the
  // (full, incremental) pairs restored.
  private final Set<String> archivesFound = new TreeSet<>();
  private final Map<String, Revision> manifests = new TreeMap<>();
  private final Set<String> restored = new TreeSet<>();

  /** A state {@code who} (a node, or a node's archive) was seen at. */
  private record Claim(String at, String who, Revision revision) {}

  private long checks;
  private long fullSyncs;
  private long producerHeight;
  private long maxLag;
  private long archives;
  private final Map<String, Long> heightAtLastCheck = new TreeMap<>();

  /**
   * @param progressDue whether every honest node behind the producer must have moved since the last
   *     check (the faults are over and the recovery time has passed)
   */
  void check(NodeSimulation s, boolean end, boolean progressDue) {
    checks++;
    String at = "at " + s.simulation().now().toSeconds() + "s: ";
    SimNode<Node> producer = s.producer();
    if (producer.isUp()) {
      for (Revision r : producer.app().store().revisions()) {
        Hash before = producerRoots.put(r.height(), r.root());
        if (before != null && !before.equals(r.root())) {
          violate(at + "the producer's root at height " + r.height() + " changed");
        }
      }
      producerHeight = producer.app().store().height();
      confirm(end);
    } else if (end) {
      confirm(true);
    }
    for (SimNode<Node> n : s.honest()) {
      if (!n.isUp()) {
        if (end) {
          violate(at + n.name() + " is down at the end");
        }
        continue;
      }
      Revision r = n.app().store().revision();
      seen(at, n.name(), r);
      Long before = heightAtLastCheck.put(n.name(), r.height());
      if (progressDue && before != null && r.height() == before && r.height() < producerHeight) {
        violate(
            at
                + n.name()
                + " made no progress in "
                + NodeSimulation.CHECK_EVERY.toSeconds()
                + " s: at height "
                + r.height()
                + " while the producer is at "
                + producerHeight);
      }
      if (end) {
        maxLag = Math.max(maxLag, producerHeight - r.height());
        if (producerHeight - r.height() > ALLOWED_LAG) {
          violate(
              at
                  + n.name()
                  + " stalled at height "
                  + r.height()
                  + " while the producer is at "
                  + producerHeight);
        }
        if (n.app().follower().flatMap(f -> f.syncStats()).isPresent()) {
          fullSyncs++;
        }
      }
    }
    List<SimNode<Node>> keepers = new ArrayList<>(s.honest());
    keepers.add(0, producer);
    for (SimNode<Node> n : keepers) {
      findArchives(s, at, n);
    }
    if (end) {
      confirm(true);
      checkGossipTables(s, at);
      producerArchive(s, at);
      for (SimNode<Node> n : keepers) {
        restoreNewest(s, at, n);
      }
      for (NodeId liar : s.liarIds()) {
        if (!s.bannedByAnyHonest(liar)) {
          violate(at + "liar " + liar.shortString() + " is banned by no honest node");
        }
      }
      for (SimNode<Node> n : s.honest()) {
        for (SimNode<Node> judge : s.honest()) {
          if (judge.isUp() && judge.transport().peerManager().isBanned(n.id())) {
            violate(at + judge.name() + " banned honest " + n.name());
          }
        }
      }
    }
  }

  /** No honest node holds a gossip value that breaks a rule or whose signature does not verify. */
  private void checkGossipTables(NodeSimulation s, String at) {
    ValueRules rules =
        new ValueRules(GossipConfig.DEFAULT_NETWORK, GossipConfig.DEFAULT_TTL, Duration.ZERO)
            .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE)
            .with(ValueKind.PROVIDER, ProviderRecords.rule());
    for (SimNode<Node> n : s.honest()) {
      if (!n.isUp()) {
        continue;
      }
      for (ValueKind kind : ValueKind.values()) {
        for (SignedValue v : n.app().gossip().values(kind)) {
          // Judged at its own wallclock: age is not what this checks.
          rules
              .judge(v, v.wallclock())
              .ifPresent(r -> violate(at + n.name() + " stored " + v + ": " + r.detail()));
        }
      }
    }
  }

  private void seen(String at, String name, Revision r) {
    if (r.height() == 0 && r.root().isZero()) {
      return; // nothing synced yet
    }
    judge(at, name, r);
    Long last = lastHeight.put(name, r.height());
    if (last != null && r.height() < last) {
      violate(at + name + " went back from height " + last + " to " + r.height());
    }
  }

  /** Whether {@code r} is a state the producer had, now or once the producer's root is known. */
  private void judge(String at, String who, Revision r) {
    Hash expected = producerRoots.get(r.height());
    if (expected == null) {
      // The producer may be down since it made that state: judged once it is back.
      unconfirmed.put(who + "@" + r.height(), new Claim(at, who, r));
    } else if (!expected.equals(r.root())) {
      violate(
          at + who + " has root " + r.root() + " at height " + r.height() + ", not " + expected);
    }
  }

  /**
   * Reads the manifest of every archive of {@code n} not seen before, records it in the trace and
   * judges its (height, root) as a node's state is judged. A name read on another node is not read
   * again: the name commits to the manifest's hash, so a file of that name that reads at all holds
   * the same manifest (most archives are on many nodes).
   */
  private void findArchives(NodeSimulation s, String at, SimNode<Node> n) {
    for (ArchiveFile a : SnapshotArchives.list(s.snapshotDir(n.name()))) { // newest first
      String file = a.name().fileName();
      if (!archivesFound.add(n.name() + "/" + file)) {
        continue;
      }
      archives++;
      s.simulation().observe(n, "archive " + file);
      String who = n.name() + "'s archive " + file;
      Revision claimed = manifests.get(file);
      if (claimed == null) {
        Manifest m;
        try {
          m = SnapshotReader.readManifest(a.path());
        } catch (FerryException e) {
          violate(at + who + " does not read: " + e.getMessage());
          continue;
        }
        if (m.height() != a.height()) {
          violate(at + who + " holds height " + m.height());
          continue;
        }
        claimed = new Revision(m.height(), m.root());
        manifests.put(file, claimed);
      }
      judge(at, who, claimed);
    }
  }

  /**
   * The producer makes an archive at every height due one, inline with the commit, so it holds the
   * full archive of the greatest multiple of the interval it reached (retention keeps the newest).
   */
  private void producerArchive(NodeSimulation s, String at) {
    long due = producerHeight / NodeSimulation.FULL_ARCHIVE_INTERVAL;
    if (due == 0) {
      return;
    }
    long height = due * NodeSimulation.FULL_ARCHIVE_INTERVAL;
    Optional<ArchiveFile> full = SnapshotArchives.newestFull(s.snapshotDir("producer"));
    if (full.isEmpty() || full.get().height() != height) {
      violate(
          at
              + "the producer at height "
              + producerHeight
              + " holds no full archive of height "
              + height
              + (full.isEmpty() ? "" : " (its newest is of height " + full.get().height() + ")"));
    }
  }

  /**
   * Restores {@code n}'s newest full archive with its newest incremental, as a peer downloading
   * them would, trusting the producer's root at their height. Pairs already restored (the same
   * names on another node: archives of one state are equal byte for byte) are skipped.
   */
  private void restoreNewest(NodeSimulation s, String at, SimNode<Node> n) {
    Path dir = s.snapshotDir(n.name());
    Optional<ArchiveFile> full = SnapshotArchives.newestFull(dir);
    if (full.isEmpty()) {
      return;
    }
    Optional<ArchiveFile> inc = SnapshotArchives.newestIncremental(dir);
    long height = inc.map(ArchiveFile::height).orElse(full.get().height());
    Hash trusted = producerRoots.get(height);
    String pair =
        full.get().name().fileName() + inc.map(i -> " + " + i.name().fileName()).orElse("");
    if (trusted == null || !restored.add(pair)) {
      return; // a height the checker never saw the producer at is judged by findArchives
    }
    MerkleDB[] opened = new MerkleDB[1];
    try {
      // In memory: the restorer's checks are the same whatever store it fills.
      new SnapshotRestorer(MerkleDBConfig.defaults())
          .restoreInto(
              full.get().path(),
              inc.map(ArchiveFile::path),
              bf -> opened[0] = MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf)),
              Optional.of(trusted));
    } catch (FerryException e) {
      violate(at + n.name() + "'s newest archives " + pair + " do not restore: " + e.getMessage());
    } finally {
      if (opened[0] != null) {
        opened[0].close();
      }
    }
  }

  /**
   * Judges a push-sync frame the producer or an honest node sent (liars' are left out): each pushed
   * commit's parent and head must be states the producer had. Anything else on push sync passes.
   */
  void pushed(String at, String who, ByteString payload) {
    Messages.Message m;
    try {
      m = Messages.decode(payload);
    } catch (FerryException e) {
      violate(at + who + " sent a push-sync message that does not decode: " + e.getMessage());
      return;
    }
    if (m instanceof Messages.PushMsg p) {
      for (Commit c : p.commits()) {
        judge(at, who + "'s pushed commit", c.after().height(), c.after().root());
        if (c.height() > 1) {
          judge(at, who + "'s pushed parent", c.height() - 1, c.parentRoot());
        }
      }
    }
  }

  private void judge(String at, String who, long height, Hash root) {
    judge(at, who, new Revision(height, root));
  }

  /** Judges the states seen before the producer's roots at their heights were known. */
  private void confirm(boolean end) {
    var it = unconfirmed.values().iterator();
    while (it.hasNext()) {
      Claim c = it.next();
      Hash expected = producerRoots.get(c.revision().height());
      boolean later = producerRoots.isEmpty() || c.revision().height() > producerRoots.lastKey();
      if (expected == null && !end && later) {
        continue; // made while the checker could not look at the producer: wait for it
      }
      it.remove();
      if (expected == null) {
        violate(
            c.at()
                + c.who()
                + " was at height "
                + c.revision().height()
                + ", a state the producer never had");
      } else if (!expected.equals(c.revision().root())) {
        violate(
            c.at()
                + c.who()
                + " had root "
                + c.revision().root()
                + " at height "
                + c.revision().height()
                + ", not "
                + expected);
      }
    }
  }

  void beforeCrash(SimNode<Node> node) {
    heightAtCrash.put(node.name(), node.app().store().height());
  }

  /** A restarted node's store holds at least what it held when it crashed: commits are synced. */
  void afterRestart(SimNode<Node> node) {
    Long before = heightAtCrash.get(node.name());
    long now = node.app().store().height();
    if (before != null && now < before) {
      violate(node.name() + " restarted at height " + now + " after crashing at " + before);
    }
  }

  /** Records a broken invariant found outside the checks here. */
  void violate(String what) {
    if (violations.size() < 100) {
      violations.add(what);
    }
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  long checks() {
    return checks;
  }

  long fullSyncs() {
    return fullSyncs;
  }

  /** The most an honest node was behind the producer at the end. */
  long maxLag() {
    return maxLag;
  }

  long producerHeight() {
    return producerHeight;
  }

  /** Archives found on the producer and honest nodes, each counted once per node. */
  long archives() {
    return archives;
  }
}
