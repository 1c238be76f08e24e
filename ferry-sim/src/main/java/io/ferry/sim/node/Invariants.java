package io.ferry.sim.node;

import io.ferry.core.Hash;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.head.HeadExchange;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.merkledb.Revision;
import io.ferry.node.Node;
import io.ferry.sim.SimNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What must hold in every whole-node simulation, checked every few seconds of virtual time and at
 * the end:
 *
 * <ul>
 *   <li><b>Same state.</b> An honest node's store is at a state the producer had at the same height
 *       (its root equals the producer's root there). A store holding an unverified key would have
 *       another root, so this also says no store ever held one where the checker could see it.
 *   <li><b>Never back.</b> A node's height never goes down, within an incarnation or across a crash
 *       and restart.
 *   <li><b>No stall.</b> Once the faults have healed and {@link #RECOVERY} has passed, every honest
 *       node behind the producer moves forward between two checks; at the end every honest node is
 *       up and within {@link #ALLOWED_LAG} commits of the producer.
 *   <li><b>Liars banned, honest ones not.</b> At the end every liar is banned by some honest node,
 *       and no honest node is banned by another.
 *   <li><b>No invalid gossip.</b> At the end no honest node's gossip table holds a value that
 *       breaks its kind's rule or whose signature does not verify (liars send such values).
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

  private record Claim(String at, String name, Revision revision) {}

  private long checks;
  private long fullSyncs;
  private long producerHeight;
  private long maxLag;
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
    if (end) {
      confirm(true);
      checkGossipTables(s, at);
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
            .with(ValueKind.SIGNED_HEAD, HeadExchange.PAYLOAD_RULE);
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
    Hash expected = producerRoots.get(r.height());
    if (expected == null) {
      // The producer may be down since it made that state: judged once it is back.
      unconfirmed.put(name + "@" + r.height(), new Claim(at, name, r));
    } else if (!expected.equals(r.root())) {
      violate(
          at + name + " has root " + r.root() + " at height " + r.height() + ", not " + expected);
    }
    Long last = lastHeight.put(name, r.height());
    if (last != null && r.height() < last) {
      violate(at + name + " went back from height " + last + " to " + r.height());
    }
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
                + c.name()
                + " was at height "
                + c.revision().height()
                + ", a state the producer never had");
      } else if (!expected.equals(c.revision().root())) {
        violate(
            c.at()
                + c.name()
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

  private void violate(String what) {
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
}
