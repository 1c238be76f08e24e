package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of each chunk of the snapshot being restored: needed, in flight to a peer, fetched
 * (held, not yet applied) or applied. Also remembers, per chunk, the peers that said they do not
 * have it or did not answer in time, so the chunk goes to another peer next. Fetched chunks' bytes
 * are kept here only until applied; the {@link ChunkStore} keeps them for the whole sync.
 *
 * <p>Not thread-safe: the syncer's scheduler only.
 */
final class ChunkQueue {
  enum State {
    NEEDED,
    IN_FLIGHT,
    FETCHED,
    APPLIED
  }

  private final int count;
  private final State[] state;
  private final NodeId[] peer; // asked (in flight) or sender (fetched, applied)
  private final Bytes[] bytes; // fetched and not yet applied; null when only in the store
  private final Cancellable[] timer;
  private final Map<Integer, Set<NodeId>> missing = new HashMap<>();
  private final Map<Integer, Set<NodeId>> timedOut = new HashMap<>();
  private final Map<NodeId, Integer> inFlightByPeer = new HashMap<>();
  private int applied;
  private int inFlight;
  private int fetchedUnapplied;

  ChunkQueue(int count) {
    this.count = count;
    this.state = new State[count];
    this.peer = new NodeId[count];
    this.bytes = new Bytes[count];
    this.timer = new Cancellable[count];
    java.util.Arrays.fill(state, State.NEEDED);
  }

  int count() {
    return count;
  }

  State state(int i) {
    return state[i];
  }

  NodeId peer(int i) {
    return peer[i];
  }

  Bytes bytes(int i) {
    return bytes[i];
  }

  int applied() {
    return applied;
  }

  int inFlight() {
    return inFlight;
  }

  int inFlight(NodeId p) {
    return inFlightByPeer.getOrDefault(p, 0);
  }

  int fetchedUnapplied() {
    return fetchedUnapplied;
  }

  boolean done() {
    return applied == count;
  }

  /** The lowest chunk that is not applied, or {@code count} when all are. */
  int firstUnapplied() {
    for (int i = 0; i < count; i++) {
      if (state[i] != State.APPLIED) {
        return i;
      }
    }
    return count;
  }

  /** The lowest needed chunk from {@code from} and below {@code limit}, or -1. */
  int nextNeeded(int from, int limit) {
    for (int i = from, n = Math.min(limit, count); i < n; i++) {
      if (state[i] == State.NEEDED) {
        return i;
      }
    }
    return -1;
  }

  void inFlight(int i, NodeId to, Cancellable t) {
    leave(i);
    state[i] = State.IN_FLIGHT;
    peer[i] = to;
    timer[i] = t;
    inFlight++;
    inFlightByPeer.merge(to, 1, Integer::sum);
  }

  /** Held from an earlier run or fetched now; {@code chunk} null when it is only in the store. */
  void fetched(int i, Bytes chunk, NodeId from) {
    leave(i);
    state[i] = State.FETCHED;
    peer[i] = from;
    bytes[i] = chunk;
    fetchedUnapplied++;
  }

  void applied(int i) {
    leave(i);
    state[i] = State.APPLIED;
    applied++;
  }

  /** Back to needed: discarded, timed out, or its peer went away. */
  void needed(int i) {
    leave(i);
    state[i] = State.NEEDED;
    peer[i] = null;
  }

  /** Applied chunks become fetched again (in the store): the snapshot is offered again. */
  void unapplyAll() {
    for (int i = 0; i < count; i++) {
      if (state[i] == State.APPLIED) {
        leave(i);
        state[i] = State.FETCHED;
        fetchedUnapplied++;
      }
    }
  }

  void saidMissing(int i, NodeId p) {
    missing.computeIfAbsent(i, k -> new HashSet<>()).add(p);
  }

  void timedOut(int i, NodeId p) {
    timedOut.computeIfAbsent(i, k -> new HashSet<>()).add(p);
  }

  boolean saidMissing(int i, NodeId p, boolean orTimedOut) {
    return missing.getOrDefault(i, Set.of()).contains(p)
        || (orTimedOut && timedOut.getOrDefault(i, Set.of()).contains(p));
  }

  /** Chunks in flight to {@code p}. */
  List<Integer> inFlightTo(NodeId p) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (state[i] == State.IN_FLIGHT && p.equals(peer[i])) {
        out.add(i);
      }
    }
    return out;
  }

  /** Chunks fetched from {@code p} and not applied yet. */
  List<Integer> fetchedFrom(NodeId p) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (state[i] == State.FETCHED && p.equals(peer[i])) {
        out.add(i);
      }
    }
    return out;
  }

  /** Cancels every timer (the sync moves on or ends). */
  void cancelTimers() {
    for (int i = 0; i < count; i++) {
      if (timer[i] != null) {
        timer[i].cancel();
        timer[i] = null;
      }
    }
  }

  private void leave(int i) {
    switch (state[i]) {
      case IN_FLIGHT -> {
        inFlight--;
        inFlightByPeer.merge(peer[i], -1, Integer::sum);
        if (timer[i] != null) {
          timer[i].cancel();
          timer[i] = null;
        }
      }
      case FETCHED -> {
        fetchedUnapplied--;
        bytes[i] = null;
      }
      case APPLIED -> applied--;
      case NEEDED -> {}
    }
  }
}
