package io.ferry.node.bootstrap;

import io.ferry.core.archive.SnapshotHashes.Slot;
import io.ferry.core.identity.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which snapshot a newcomer restores, chosen from the advertisements in its gossip table under a
 * {@link SnapshotTrust}; and why every other advertised snapshot was not chosen. Pure: the same
 * advertisements give the same choice, whatever their order.
 *
 * <p>The rules:
 *
 * <ul>
 *   <li>A full snapshot's <b>votes</b> are the validators that advertise that exact full snapshot
 *       (height and hash). It qualifies with at least {@code minAgreement} votes and at least one
 *       advertiser, validator or not, that serves HTTP: the hash makes any server safe, since the
 *       restore checks the archive against it. Fetched by state sync, it needs no HTTP server: any
 *       peer that lists it serves its chunks.
 *   <li>An incremental's votes are the validators that advertise it on that same full snapshot. The
 *       highest one with enough votes and an HTTP advertiser goes with its full snapshot; none, and
 *       the full snapshot is restored alone.
 *   <li>Of the qualified (full, incremental) pairs the one reaching the highest height wins; a tie
 *       goes to more votes, then more advertisers, then the lower hash, so every node given the
 *       same table chooses the same.
 * </ul>
 *
 * <p>Each distinct (full, newest incremental) pair some node advertises and that is not the choice
 * gets a reason: {@code "not advertised by a known validator"}, {@code "2 of 3 votes, needs 3"},
 * {@code "no advertiser serves it over HTTP"}, {@code "older than the chosen snapshot"}, or the
 * same about its incremental.
 *
 * @param chosen the snapshot to restore, if one qualifies
 * @param rejected every other advertised pair with why, highest first
 */
public record SnapshotChoice(Optional<Chosen> chosen, List<Rejected> rejected) {

  /**
   * The snapshot to restore.
   *
   * @param full the full snapshot
   * @param incremental the incremental to apply on it, if one qualifies
   * @param votes validators advertising {@code full}
   * @param incrementalVotes validators advertising {@code incremental} on {@code full} (0 without)
   * @param fullServers every node advertising {@code full} that serves HTTP, by id
   * @param incrementalServers every node advertising {@code incremental} that serves HTTP, by id
   */
  public record Chosen(
      Slot full,
      Optional<Slot> incremental,
      int votes,
      int incrementalVotes,
      List<Advert> fullServers,
      List<Advert> incrementalServers) {
    public Chosen {
      fullServers = List.copyOf(fullServers);
      incrementalServers = List.copyOf(incrementalServers);
    }

    /** The height the restored store will be at. */
    public long height() {
      return incremental.map(Slot::height).orElse(full.height());
    }

    /** The ids of every node that serves the full snapshot or the incremental, by id. */
    public List<NodeId> advertisers() {
      TreeSet<NodeId> ids = new TreeSet<>();
      fullServers.forEach(a -> ids.add(a.origin()));
      incrementalServers.forEach(a -> ids.add(a.origin()));
      return List.copyOf(ids);
    }
  }

  /** An advertised (full, newest incremental) pair that was not chosen, and why. */
  public record Rejected(Slot full, Optional<Slot> incremental, String reason) {}

  public SnapshotChoice {
    rejected = List.copyOf(rejected);
  }

  /** Newest first; equal heights by hash. */
  private static final Comparator<Slot> NEWEST =
      Comparator.comparingLong(Slot::height).reversed().thenComparing(Slot::hash);

  /** The better of two candidates first. */
  private static final Comparator<Chosen> BEST =
      Comparator.comparingLong(Chosen::height)
          .reversed()
          .thenComparing(Comparator.comparingInt(Chosen::votes).reversed())
          .thenComparing(Comparator.comparingInt((Chosen c) -> c.fullServers().size()).reversed())
          .thenComparing(Chosen::full, NEWEST)
          .thenComparing(c -> c.incremental().map(Slot::hash).orElse(null), nullsFirst());

  private static <T extends Comparable<T>> Comparator<T> nullsFirst() {
    return Comparator.nullsFirst(Comparator.naturalOrder());
  }

  /**
   * Chooses among {@code adverts} (one per node) under {@code trust}, for a download over HTTP: a
   * snapshot qualifies only with an advertiser that serves HTTP.
   */
  public static SnapshotChoice choose(Collection<Advert> adverts, SnapshotTrust trust) {
    return choose(adverts, trust, false);
  }

  /**
   * Chooses among {@code adverts} (one per node) under {@code trust}. With {@code byChunks} the
   * full snapshot is fetched by state sync from any peer that lists it, so it qualifies without an
   * HTTP server ({@link Chosen#fullServers} may then be empty, for a download to fall back on); an
   * incremental, which state sync does not carry, still needs one.
   */
  public static SnapshotChoice choose(
      Collection<Advert> adverts, SnapshotTrust trust, boolean byChunks) {
    Map<Slot, List<Advert>> byFull = new TreeMap<>(NEWEST);
    List<Advert> sorted = new ArrayList<>(adverts);
    sorted.sort(Comparator.comparing(Advert::origin));
    for (Advert a : sorted) {
      byFull.computeIfAbsent(a.hashes().full(), s -> new ArrayList<>()).add(a);
    }
    List<Chosen> qualified = new ArrayList<>();
    for (Map.Entry<Slot, List<Advert>> e : byFull.entrySet()) {
      candidate(e.getKey(), e.getValue(), trust, byChunks).ifPresent(qualified::add);
    }
    Optional<Chosen> chosen = qualified.stream().min(BEST);

    // Every distinct pair a node advertises, highest first.
    Map<Pair, Boolean> pairs = new TreeMap<>(Pair.ORDER);
    for (Advert a : sorted) {
      pairs.put(new Pair(a.hashes().full(), a.hashes().newestIncremental()), true);
    }
    List<Rejected> rejected = new ArrayList<>();
    for (Pair p : pairs.keySet()) {
      boolean isChosen =
          chosen.isPresent()
              && chosen.get().full().equals(p.full())
              && chosen.get().incremental().equals(p.incremental());
      if (!isChosen) {
        rejected.add(
            new Rejected(
                p.full(),
                p.incremental(),
                reason(p, byFull.get(p.full()), trust, byChunks, chosen)));
      }
    }
    return new SnapshotChoice(chosen, rejected);
  }

  private record Pair(Slot full, Optional<Slot> incremental) {
    static final Comparator<Pair> ORDER =
        Comparator.comparingLong(Pair::height)
            .reversed()
            .thenComparing(Pair::full, NEWEST)
            .thenComparing(p -> p.incremental().map(Slot::hash).orElse(null), nullsFirst());

    long height() {
      return incremental.map(Slot::height).orElse(full.height());
    }
  }

  /** {@code full} with the best incremental on it, if it qualifies. */
  private static Optional<Chosen> candidate(
      Slot full, List<Advert> holders, SnapshotTrust trust, boolean byChunks) {
    int votes = votes(holders, trust);
    List<Advert> servers = holders.stream().filter(a -> a.http().isPresent()).toList();
    if (votes < trust.minAgreement() || (servers.isEmpty() && !byChunks)) {
      return Optional.empty();
    }
    TreeSet<Slot> incrementals = new TreeSet<>(NEWEST);
    holders.forEach(a -> incrementals.addAll(a.hashes().incrementals()));
    Chosen best = new Chosen(full, Optional.empty(), votes, 0, servers, List.of());
    for (Slot inc : incrementals) {
      List<Advert> withInc = holders.stream().filter(a -> a.hasIncremental(inc)).toList();
      int incVotes = votes(withInc, trust);
      List<Advert> incServers = withInc.stream().filter(a -> a.http().isPresent()).toList();
      if (incVotes < trust.minAgreement() || incServers.isEmpty()) {
        continue;
      }
      Chosen c = new Chosen(full, Optional.of(inc), votes, incVotes, servers, incServers);
      if (BEST.compare(c, best) < 0) {
        best = c;
      }
    }
    return Optional.of(best);
  }

  private static int votes(List<Advert> adverts, SnapshotTrust trust) {
    return (int) adverts.stream().filter(a -> trust.isValidator(a.origin())).count();
  }

  private static String reason(
      Pair p,
      List<Advert> holders,
      SnapshotTrust trust,
      boolean byChunks,
      Optional<Chosen> chosen) {
    int votes = votes(holders, trust);
    if (votes < trust.minAgreement()) {
      return shortOfVotes(votes, trust);
    }
    if (!byChunks && holders.stream().noneMatch(a -> a.http().isPresent())) {
      return "no advertiser serves it over HTTP";
    }
    if (p.incremental().isPresent()) {
      Slot inc = p.incremental().get();
      List<Advert> withInc = holders.stream().filter(a -> a.hasIncremental(inc)).toList();
      int incVotes = votes(withInc, trust);
      if (incVotes < trust.minAgreement()) {
        return "incremental at " + inc.height() + ": " + shortOfVotes(incVotes, trust);
      }
      if (withInc.stream().noneMatch(a -> a.http().isPresent())) {
        return "incremental at " + inc.height() + ": no advertiser serves it over HTTP";
      }
    }
    // The pair qualifies: something else was chosen over it.
    Chosen c = Objects.requireNonNull(chosen.orElse(null), "a qualified pair with no choice");
    if (p.height() < c.height()) {
      return "older than the chosen snapshot (height " + c.height() + ")";
    }
    return "as new as the chosen snapshot, which has more votes or advertisers";
  }

  private static String shortOfVotes(int votes, SnapshotTrust trust) {
    if (votes == 0) {
      return "not advertised by " + trust.who();
    }
    return votes + " of " + trust.validators().size() + " votes, needs " + trust.minAgreement();
  }
}
