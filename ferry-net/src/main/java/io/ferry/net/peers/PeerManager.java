package io.ferry.net.peers;

import io.ferry.core.identity.NodeId;
import io.ferry.core.log.RateLimitedLog;
import io.ferry.core.runtime.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Peer policy shared by every transport: misbehaviour scores, bans with expiry, and connection
 * limits. Protocols {@link #report} offences; when a peer's score reaches {@link #BAN_THRESHOLD} it
 * is banned for {@link Config#banDuration} (doubled for each repeat ban, up to {@link
 * Config#maxBanDuration}), its connections are dropped through the ban listeners, and new ones are
 * refused until the ban expires. Scores recover by {@link Config#recoveryPerMinute} points a
 * minute, so only offences close together add up.
 *
 * <p>Peer ids cost an attacker nothing, so the peers remembered are bounded ({@link
 * #MAX_TRACKED_PEERS}): past the bound, peers whose score has recovered and who are not banned are
 * forgotten first (that loses nothing), then the oldest unbanned ones, and only then the oldest
 * bans. Peers are kept in the order first seen, so {@link #banned} lists them the same way on every
 * run.
 *
 * <p>Time comes from the injected {@link Clock}, so bans expire in virtual time in the simulator.
 * Thread-safe.
 */
public final class PeerManager {
  private static final Logger log = LoggerFactory.getLogger(PeerManager.class);

  /** The score at or below which a peer is banned. */
  public static final int BAN_THRESHOLD = -100;

  /** Peers whose score or ban is remembered at once. */
  public static final int MAX_TRACKED_PEERS = 65_536;

  /**
   * Limits and ban timing.
   *
   * @param maxConnections connections open at once, both directions
   * @param maxInbound connections the peers dialled, a subset of maxConnections, so a flood of
   *     inbound connections cannot use up the slots this node needs to dial out
   * @param banDuration the first ban's length
   * @param maxBanDuration the cap for repeated bans
   * @param recoveryPerMinute score points regained per minute, towards zero
   */
  public record Config(
      int maxConnections,
      int maxInbound,
      Duration banDuration,
      Duration maxBanDuration,
      int recoveryPerMinute) {
    public static final Config DEFAULT =
        new Config(256, 192, Duration.ofMinutes(10), Duration.ofHours(24), 5);

    public Config {
      if (maxConnections < 1 || maxInbound < 0 || maxInbound > maxConnections) {
        throw new IllegalArgumentException(
            "need 1 <= maxConnections and 0 <= maxInbound <= maxConnections");
      }
    }

    /**
     * These limits with {@code n} inbound connections at most, and the room this config leaves for
     * connections this node dials ({@code maxConnections - maxInbound}) unchanged: capping inbound
     * connections never takes slots from outbound dials.
     */
    public Config withMaxInbound(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("maxInbound must be >= 0: " + n);
      }
      return new Config(
          n + (maxConnections - maxInbound), n, banDuration, maxBanDuration, recoveryPerMinute);
    }
  }

  /** A peer's standing. */
  public record Standing(int score, Optional<Duration> bannedFor) {}

  private static final class Record {
    int score;
    long scoreAtNanos;
    long bannedUntilNanos = Long.MIN_VALUE;
    int bans;
  }

  private final Clock clock;
  private final Config config;
  private final RateLimitedLog lines; // floods of misbehaving peers must not fill the disk
  private final int maxTracked;
  private final LinkedHashMap<NodeId, Record> records = new LinkedHashMap<>();
  private final List<Consumer<NodeId>> banListeners = new CopyOnWriteArrayList<>();

  public PeerManager(Clock clock, Config config) {
    this(clock, config, MAX_TRACKED_PEERS);
  }

  PeerManager(Clock clock, Config config, int maxTracked) {
    this.clock = clock;
    this.config = config;
    this.maxTracked = maxTracked;
    this.lines = new RateLimitedLog(log, clock);
  }

  public PeerManager(Clock clock) {
    this(clock, Config.DEFAULT);
  }

  public Config config() {
    return config;
  }

  /** Called with each newly banned peer (transports drop its connections). */
  public void onBan(Consumer<NodeId> listener) {
    banListeners.add(listener);
  }

  /**
   * Records an offence by {@code peer}; bans it if its score reaches the threshold.
   *
   * @return true if this report banned the peer
   */
  public boolean report(NodeId peer, Offence offence, String detail) {
    boolean banned;
    Duration banFor = Duration.ZERO;
    int score;
    synchronized (this) {
      Record r = record(peer);
      long now = clock.nanos();
      recover(r, now);
      r.score -= offence.penalty();
      score = r.score;
      banned = r.score <= BAN_THRESHOLD && r.bannedUntilNanos <= now;
      if (banned) {
        banFor = banLength(r.bans);
        r.bans++;
        r.bannedUntilNanos = now + banFor.toNanos();
        r.score = 0;
      }
    }
    if (banned) {
      lines.warn(
          "ban",
          "banned peer {} for {}: {} ({}), score reached {}",
          peer.shortString(),
          banFor,
          offence.label(),
          detail,
          score);
      banListeners.forEach(l -> l.accept(peer));
    } else {
      lines.info(
          "penalty",
          "peer {} penalised for {} ({}): score now {}",
          peer.shortString(),
          offence.label(),
          detail,
          score);
    }
    return banned;
  }

  /** Bans {@code peer} at once for {@code duration}, whatever its score (operator action). */
  public void ban(NodeId peer, Duration duration, String reason) {
    synchronized (this) {
      Record r = record(peer);
      r.bans++;
      r.bannedUntilNanos = clock.nanos() + duration.toNanos();
    }
    lines.warn("ban", "banned peer {} for {}: {}", peer.shortString(), duration, reason);
    banListeners.forEach(l -> l.accept(peer));
  }

  /** Lifts a ban early. */
  public synchronized void unban(NodeId peer) {
    Record r = records.get(peer);
    if (r != null) {
      r.bannedUntilNanos = Long.MIN_VALUE;
    }
  }

  public synchronized boolean isBanned(NodeId peer) {
    Record r = records.get(peer);
    return r != null && r.bannedUntilNanos > clock.nanos();
  }

  /** The peer's current score and remaining ban, if any. */
  public synchronized Standing standing(NodeId peer) {
    Record r = records.get(peer);
    if (r == null) {
      return new Standing(0, Optional.empty());
    }
    long now = clock.nanos();
    recover(r, now);
    Optional<Duration> ban =
        r.bannedUntilNanos > now
            ? Optional.of(Duration.ofNanos(r.bannedUntilNanos - now))
            : Optional.empty();
    return new Standing(r.score, ban);
  }

  /** Peers banned now. */
  public synchronized List<NodeId> banned() {
    long now = clock.nanos();
    List<NodeId> out = new ArrayList<>();
    records.forEach(
        (id, r) -> {
          if (r.bannedUntilNanos > now) {
            out.add(id);
          }
        });
    return out;
  }

  /**
   * Decides whether a connection to {@code peer} may open, given the connections open now (not
   * counting this one). The caller logs the refusal.
   */
  public Admission admit(NodeId peer, boolean inbound, int open, int openInbound) {
    Standing s = standing(peer);
    if (s.bannedFor().isPresent()) {
      return Admission.refuse("banned for another " + s.bannedFor().get().toSeconds() + "s");
    }
    if (open >= config.maxConnections()) {
      return Admission.refuse("connection limit " + config.maxConnections() + " reached");
    }
    if (inbound && openInbound >= config.maxInbound()) {
      return Admission.refuse("inbound connection limit " + config.maxInbound() + " reached");
    }
    return Admission.ALLOW;
  }

  /** Peers remembered now; at most {@link #MAX_TRACKED_PEERS}. */
  public synchronized int tracked() {
    return records.size();
  }

  private Record record(NodeId peer) {
    Record r = records.get(peer);
    if (r == null) {
      if (records.size() >= maxTracked) {
        forgetSome();
      }
      r = new Record();
      records.put(peer, r);
    }
    return r;
  }

  /**
   * Makes room: forgets an eighth of the records, so the sweep's cost is shared by the many records
   * added before the next one. See the class comment for the order.
   */
  private void forgetSome() {
    long now = clock.nanos();
    int target = maxTracked - Math.max(1, maxTracked / 8);
    records
        .values()
        .removeIf(
            r -> {
              recover(r, now);
              return r.score == 0 && r.bannedUntilNanos <= now;
            });
    Iterator<Record> it = records.values().iterator();
    while (it.hasNext() && records.size() > target) {
      if (it.next().bannedUntilNanos <= now) {
        it.remove();
      }
    }
    it = records.values().iterator();
    while (it.hasNext() && records.size() > target) {
      it.next();
      it.remove();
    }
  }

  private Duration banLength(int previousBans) {
    Duration d = config.banDuration();
    for (int i = 0; i < previousBans && d.compareTo(config.maxBanDuration()) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(config.maxBanDuration()) > 0 ? config.maxBanDuration() : d;
  }

  private void recover(Record r, long now) {
    if (r.score < 0 && config.recoveryPerMinute() > 0) {
      long minutes = (now - r.scoreAtNanos) / 60_000_000_000L;
      if (minutes > 0) {
        r.score = (int) Math.min(0, r.score + minutes * config.recoveryPerMinute());
        r.scoreAtNanos += minutes * 60_000_000_000L;
      }
    } else {
      r.scoreAtNanos = now;
    }
  }
}
