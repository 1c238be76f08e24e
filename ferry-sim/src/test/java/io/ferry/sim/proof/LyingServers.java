package io.ferry.sim.proof;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofCodec;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.proof.ProofNode;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.trie.Path;
import io.ferry.net.ProtocolId;
import io.ferry.sim.Interceptor;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.GetChangeProofRequest;
import io.ferry.wire.v1.GetChangeProofResponse;
import io.ferry.wire.v1.GetRangeProofRequest;
import io.ferry.wire.v1.Kind;
import io.ferry.wire.v1.MaybeBytes;
import io.ferry.wire.v1.Request;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Makes some proof sync servers liars, on the simulated network: an {@link Interceptor} that
 * remembers each proof request a liar receives and rewrites the liar's answer before it reaches the
 * client. Each liar tells its {@link Lie}s in turn, in answers to range proof requests, change
 * proof requests or both. Every rewrite changes the answer (a lie with nothing to work on falls
 * back to {@link Lie#FORGED_INCLUSION}), so every rewritten answer is one the client must refuse.
 *
 * <p>Deterministic: no randomness, and the maps are only looked up, never iterated in hash order.
 */
final class LyingServers implements Interceptor {

  /** Which requests a liar lies to. */
  enum ProofKind {
    RANGE,
    CHANGE
  }

  /** One lie told: what, to a request of which kind. */
  record Told(Lie lie, ProofKind kind) {}

  private record Flow(NodeId client, NodeId server, long requestId) {}

  /** What a request asked: the kind, range and limits, and the root the proof must lead to. */
  private record Ask(ProofKind kind, KeyRange range, Hash root, int keyLimit, int byteLimit) {}

  /** A proof's parts; a range proof's key-values are puts. */
  private record Parts(List<KeyChange> changes, List<ProofNode> start, List<ProofNode> end) {
    static Parts of(RangeProof p) {
      List<KeyChange> puts = new ArrayList<>(p.keyValues().size());
      p.keyValues().forEach(kv -> puts.add(new KeyChange(kv.key(), Optional.of(kv.value()))));
      return new Parts(puts, p.startProof(), p.endProof());
    }

    static Parts of(ChangeProof p) {
      return new Parts(p.keyChanges(), p.startProof(), p.endProof());
    }

    RangeProof rangeProof() {
      List<KeyValue> kvs = new ArrayList<>(changes.size());
      changes.forEach(c -> kvs.add(new KeyValue(c.key(), c.value().orElseThrow())));
      return new RangeProof(start, end, kvs);
    }

    ChangeProof changeProof() {
      return new ChangeProof(start, end, changes);
    }

    Parts withChanges(List<KeyChange> c) {
      return new Parts(c, start, end);
    }

    Parts withEnd(List<ProofNode> e) {
      return new Parts(changes, start, e);
    }
  }

  private static final class Liar {
    final MerkleDB db;
    final List<Lie> lies;
    final Set<ProofKind> kinds;
    int next;
    List<ProofNode> previousEnd = List.of();

    Liar(MerkleDB db, List<Lie> lies, Set<ProofKind> kinds) {
      this.db = db;
      this.lies = List.copyOf(lies);
      this.kinds = Set.copyOf(kinds);
    }
  }

  private static final Bytes LIE = Bytes.wrap(new byte[] {'l', 'i', 'e'});

  private final Map<NodeId, Liar> liars = new HashMap<>();
  private final Map<Flow, Request> asked = new HashMap<>();
  private final Map<Told, Integer> told =
      new TreeMap<>(Comparator.comparing(Told::lie).thenComparing(Told::kind));
  private final Map<NodeId, Integer> toldBy = new HashMap<>();

  /**
   * Makes {@code server}, which serves {@code db}, lie in its answers to requests of {@code kinds},
   * telling {@code lies} in turn.
   */
  void add(NodeId server, MerkleDB db, List<Lie> lies, Set<ProofKind> kinds) {
    liars.put(server, new Liar(db, lies, kinds));
  }

  /** How many times each lie was told (in an answer that reached its client). */
  Map<Told, Integer> told() {
    return Map.copyOf(told);
  }

  /** How many lies {@code server} told. */
  int toldBy(NodeId server) {
    return toldBy.getOrDefault(server, 0);
  }

  @Override
  public Envelope intercept(NodeId from, NodeId to, Envelope env) {
    if (env.getProtocolValue() != ProtocolId.PROOF_SYNC.value()) {
      return env;
    }
    if (env.getKind() == Kind.KIND_REQUEST && liars.containsKey(to)) {
      try {
        asked.put(new Flow(from, to, env.getRequestId()), Request.parseFrom(env.getPayload()));
      } catch (InvalidProtocolBufferException e) {
        // Not a request an honest client sends; the server refuses it, nothing to lie about.
      }
      return env;
    }
    Liar liar = liars.get(from);
    if (liar == null || (env.getKind() != Kind.KIND_RESPONSE && env.getKind() != Kind.KIND_ERROR)) {
      return env;
    }
    Request request = asked.remove(new Flow(to, from, env.getRequestId()));
    if (request == null || env.getKind() != Kind.KIND_RESPONSE) {
      return env;
    }
    try {
      ByteString lied = lie(from, liar, request, env.getPayload());
      return lied == null ? env : env.toBuilder().setPayload(lied).build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("an honest server's answer does not parse", e);
    }
  }

  /** The liar's rewritten answer, or null to pass the honest one on. */
  private ByteString lie(NodeId server, Liar liar, Request request, ByteString answer)
      throws InvalidProtocolBufferException {
    switch (request.getMessageCase()) {
      case RANGE_PROOF_REQUEST -> {
        GetRangeProofRequest r = request.getRangeProofRequest();
        Ask ask =
            new Ask(
                ProofKind.RANGE,
                range(
                    r.hasStartKey() ? r.getStartKey() : null, r.hasEndKey() ? r.getEndKey() : null),
                Hash.of(r.getRootHash().toByteArray()),
                r.getKeyLimit(),
                r.getBytesLimit());
        Parts honest =
            Parts.of(ProofCodec.decode(io.ferry.wire.v1.RangeProof.parseFrom(answer), bf(liar)));
        Parts forged = forge(server, liar, ask, honest, false);
        return forged == null ? null : ProofCodec.encode(forged.rangeProof()).toByteString();
      }
      case CHANGE_PROOF_REQUEST -> {
        GetChangeProofRequest r = request.getChangeProofRequest();
        Ask ask =
            new Ask(
                ProofKind.CHANGE,
                range(
                    r.hasStartKey() ? r.getStartKey() : null, r.hasEndKey() ? r.getEndKey() : null),
                Hash.of(r.getEndRootHash().toByteArray()),
                r.getKeyLimit(),
                r.getBytesLimit());
        GetChangeProofResponse resp = GetChangeProofResponse.parseFrom(answer);
        if (resp.hasRangeProof()) {
          // The server's history did not reach the start root: a range proof at the end root.
          Parts honest = Parts.of(ProofCodec.decode(resp.getRangeProof(), bf(liar)));
          Parts forged = forge(server, liar, ask, honest, false);
          return forged == null
              ? null
              : GetChangeProofResponse.newBuilder()
                  .setRangeProof(ProofCodec.encode(forged.rangeProof()))
                  .build()
                  .toByteString();
        }
        Parts honest = Parts.of(ProofCodec.decode(resp.getChangeProof(), bf(liar)));
        Parts forged = forge(server, liar, ask, honest, true);
        return forged == null
            ? null
            : GetChangeProofResponse.newBuilder()
                .setChangeProof(ProofCodec.encode(forged.changeProof()))
                .build()
                .toByteString();
      }
      default -> {
        return null;
      }
    }
  }

  private static KeyRange range(MaybeBytes start, MaybeBytes end) {
    return new KeyRange(ProofCodec.maybeOf(start), ProofCodec.maybeOf(end));
  }

  private static io.ferry.merkledb.BranchFactor bf(Liar liar) {
    return liar.db.branchFactor();
  }

  // ---- the lies

  /**
   * The liar's next lie applied to {@code honest}, or null if it does not lie to this kind of
   * request. {@code changes} tells a change proof (whose changes may delete) from a range proof.
   */
  private Parts forge(NodeId server, Liar liar, Ask ask, Parts honest, boolean changes) {
    List<ProofNode> previousEnd = liar.previousEnd;
    if (!honest.end().isEmpty()) {
      liar.previousEnd = honest.end();
    }
    if (!liar.kinds.contains(ask.kind())) {
      return null;
    }
    Lie lie = liar.lies.get(liar.next++ % liar.lies.size());
    Parts forged =
        switch (lie) {
          case TAMPERED_VALUE -> tamper(honest);
          case DROPPED_KEY -> drop(honest);
          case FORGED_EXCLUSION -> exclude(liar, ask, honest, changes);
          case WRONG_END_PROOF -> wrongEnd(liar, ask, honest, previousEnd);
          case FORGED_INCLUSION -> null;
        };
    if (forged == null) {
      lie = Lie.FORGED_INCLUSION;
      forged = include(liar, ask, honest, changes);
    }
    if (forged.equals(honest)) {
      throw new IllegalStateException(lie + " left the answer as it was");
    }
    told.merge(new Told(lie, ask.kind()), 1, Integer::sum);
    toldBy.merge(server, 1, Integer::sum);
    return forged;
  }

  /** One change in the middle gets another value. */
  private static Parts tamper(Parts honest) {
    List<KeyChange> c = new ArrayList<>(honest.changes());
    if (c.isEmpty()) {
      return null;
    }
    int i = c.size() / 2;
    KeyChange kc = c.get(i);
    Bytes other;
    if (kc.value().isEmpty() || kc.value().get().isEmpty()) {
      other = LIE;
    } else {
      byte[] b = kc.value().get().toByteArray();
      b[0] ^= 0x01;
      other = Bytes.wrap(b);
    }
    c.set(i, new KeyChange(kc.key(), Optional.of(other)));
    return honest.withChanges(c);
  }

  /** One change from the middle, never the last (whose node the end proof shows), goes. */
  private static Parts drop(Parts honest) {
    List<KeyChange> c = new ArrayList<>(honest.changes());
    if (c.size() < 2) {
      return null;
    }
    c.remove((c.size() - 1) / 2);
    return honest.withChanges(c);
  }

  /** A key the root holds (a put, for a change proof) is claimed absent. */
  private static Parts exclude(Liar liar, Ask ask, Parts honest, boolean changeProof) {
    List<KeyChange> c = new ArrayList<>(honest.changes());
    int victim = -1;
    for (int d = 0; d <= c.size() / 2 && victim < 0; d++) {
      for (int i : new int[] {c.size() / 2 - d, c.size() / 2 + d}) {
        if (i >= 0 && i < c.size() && c.get(i).value().isPresent() && victim < 0) {
          victim = i;
        }
      }
    }
    if (victim < 0) {
      return null;
    }
    Bytes key = c.remove(victim).key();
    if (ask.root().equals(liar.db.root())) {
      // Answer from the liar's trie with the key deleted: a proof consistent in itself.
      View without = liar.db.newView(new Batch().delete(key));
      return generate(without, ask, changeProof ? c : null);
    }
    // The asked root is no longer the liar's head: leave the last key out, and cut its node from
    // the end proof, clearing the child slot towards it, so the path shows it absent.
    List<KeyChange> all = new ArrayList<>(honest.changes());
    Path last = Path.ofKey(all.remove(all.size() - 1).key(), bf(liar));
    return new Parts(all, cut(honest.start(), last), cut(honest.end(), last));
  }

  /** A key the root does not hold is claimed in the range. */
  private static Parts include(Liar liar, Ask ask, Parts honest, boolean changeProof) {
    List<Bytes> candidates = new ArrayList<>();
    List<KeyChange> c = honest.changes();
    if (!c.isEmpty()) {
      candidates.add(successor(c.get(c.size() / 2).key()));
    }
    candidates.add(ask.range().start().orElse(Bytes.wrap(new byte[] {0})));
    c.forEach(kc -> candidates.add(successor(kc.key())));
    TreeMap<Bytes, KeyChange> byKey = new TreeMap<>();
    c.forEach(kc -> byKey.put(kc.key(), kc));
    for (Bytes k : candidates) {
      if (!ask.range().contains(k) || byKey.containsKey(k) || liar.db.get(k).isPresent()) {
        continue;
      }
      byKey.put(k, new KeyChange(k, Optional.of(LIE)));
      List<KeyChange> with = new ArrayList<>(byKey.values());
      if (ask.root().equals(liar.db.root())) {
        // Answer from the liar's trie with the key inserted: a proof consistent in itself.
        View forged = liar.db.newView(new Batch().put(k, LIE));
        return generate(forged, ask, changeProof ? with : null);
      }
      if (with.size() > ask.keyLimit()) {
        with.remove(with.get(0).key().equals(k) ? 1 : 0); // keep the count, and the last key
      }
      return honest.withChanges(with);
    }
    throw new IllegalStateException("no key in " + ask.range() + " to forge an inclusion with");
  }

  /** The end proof from another root the liar keeps, or from an earlier answer. */
  private static Parts wrongEnd(Liar liar, Ask ask, Parts honest, List<ProofNode> previousEnd) {
    List<KeyChange> c = honest.changes();
    Optional<Bytes> last = c.isEmpty() ? ask.range().end() : Optional.of(c.get(c.size() - 1).key());
    List<Revision> revisions = liar.db.revisions();
    for (int i = revisions.size() - 1; i >= 0 && last.isPresent(); i--) {
      Hash other = revisions.get(i).root();
      if (!other.equals(ask.root())) {
        List<ProofNode> end =
            liar.db
                .rangeProof(other, new KeyRange(last, last), 1, Limits.DEFAULT_PROOF_BYTE_LIMIT)
                .endProof();
        if (!end.equals(honest.end())) {
          return honest.withEnd(end);
        }
      }
    }
    if (!previousEnd.isEmpty() && !previousEnd.equals(honest.end())) {
      return honest.withEnd(previousEnd);
    }
    if (honest.end().size() >= 2) {
      return honest.withEnd(honest.end().subList(0, honest.end().size() - 1));
    }
    return null;
  }

  /**
   * An honest proof of {@code trie} for the request: a range proof, or with {@code changes} a
   * change proof of them.
   */
  private static Parts generate(View trie, Ask ask, List<KeyChange> changes) {
    int keyLimit = Math.min(ask.keyLimit(), Limits.MAX_PROOF_KEY_LIMIT);
    int byteLimit = Math.min(ask.byteLimit(), Limits.DEFAULT_PROOF_BYTE_LIMIT);
    if (changes == null) {
      return Parts.of(ProofGenerator.rangeProof(trie, ask.range(), keyLimit, byteLimit));
    }
    return Parts.of(ProofGenerator.changeProof(trie, changes, ask.range(), keyLimit, byteLimit));
  }

  /**
   * The proof path rewritten to show the key at {@code key} absent: its node goes (or, if other
   * keys hang below it, loses its value), and the deepest node left above it loses the child
   * towards it.
   */
  private static List<ProofNode> cut(List<ProofNode> proof, Path key) {
    List<ProofNode> out = new ArrayList<>();
    boolean removed = false;
    for (ProofNode n : proof) {
      if (!n.key().equals(key)) {
        out.add(n);
      } else if (n.children().isEmpty()) {
        removed = true;
      } else {
        out.add(new ProofNode(n.key(), Optional.empty(), n.children()));
      }
    }
    if (removed) {
      for (int i = out.size() - 1; i >= 0; i--) {
        ProofNode parent = out.get(i);
        if (parent.key().isStrictPrefixOf(key)) {
          SortedMap<Integer, Hash> children = new TreeMap<>(parent.children());
          children.remove(key.token(parent.key().length()));
          out.set(i, new ProofNode(parent.key(), parent.valueOrHash(), children));
          break;
        }
      }
    }
    return out;
  }

  private static Bytes successor(Bytes key) {
    return KeyRange.successor(key).orElseThrow();
  }
}
