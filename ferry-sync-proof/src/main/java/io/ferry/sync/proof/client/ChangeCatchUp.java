package io.ferry.sync.proof.client;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofException;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.net.Transport;
import io.ferry.net.TransportException;
import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a store that already holds a past root up to a newer trusted root with change proofs: the
 * follower's step after its first full sync. It pages through the key space from the store's root
 * to the target, verifies each page against the target root on top of the store with the earlier
 * pages applied, and commits all pages as one revision at the target's height once the stacked
 * view's root is the target. Nothing touches the store before the whole change is verified.
 *
 * <p>A page that does not verify is a lie: its server is reported for {@link
 * Offence#INVALID_PROOF}, left out of this catch-up, and the page asked of another server. Each
 * request carries the heights of the store's root and of the target, so a server without the change
 * says whether it may have it later ({@code NOT_FOUND}: it lags the target) or never will ({@code
 * INSUFFICIENT_HISTORY}, or a range proof: it lacks the history). When every server lacks the
 * history, or the change is larger than {@link #MAX_PENDING_CHANGES}, the catch-up fails with
 * {@link ErrorCode#INSUFFICIENT_HISTORY}: the caller should do a full sync. So it does when the
 * servers that lag are all that is left and catch-ups from this root have waited {@link
 * #LAGGING_PATIENCE} for them: a server stuck as far back as this store, or one that answers "not
 * yet" forever, must not keep it there. With no server able to answer (none connected, none at the
 * target yet, repeated timeouts) it fails with {@link ErrorCode#UNAVAILABLE}: try again later.
 *
 * <p>The returned future always completes: whatever handling an answer throws ends the catch-up
 * with that error, and a request whose answer is not handled within its timeout plus {@link
 * SyncManager#STALL_GRACE} counts as a failed request, its answer ignored if it comes later.
 *
 * <p>Runs on the given scheduler's thread (verification included: pages are small), so it is
 * deterministic under the simulator. One catch-up per store at a time. Thread-safe.
 */
public final class ChangeCatchUp implements AutoCloseable {
  /** Changes held in memory before giving up for a full sync, which stages them on disk. */
  public static final int MAX_PENDING_CHANGES = 1_000_000;

  /** Failed requests (timeouts, disconnects, busy servers) per catch-up before giving up. */
  static final int MAX_FAILURES = 8;

  /**
   * How long catch-ups from one root wait for servers that lag the target while every other server
   * lacks the history, before falling back to a full sync. A follower a hop behind the head (heads
   * travel ahead of the state they name) reaches it within seconds.
   */
  static final Duration LAGGING_PATIENCE = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(ChangeCatchUp.class);

  /**
   * Totals over every catch-up so far.
   *
   * @param catchUps catch-ups that reached their target
   * @param proofs change proofs verified and applied
   * @param changes key changes in them
   * @param failures requests that failed (timeouts, disconnects, busy or lagging servers)
   * @param lies proofs that did not verify
   * @param fallbacks catch-ups given up for a full sync
   */
  public record Stats(
      long catchUps, long proofs, long changes, long failures, long lies, long fallbacks) {}

  private final SyncConfig config;
  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final Predicate<NodeId> serverFilter;
  private final ProofClient client;
  private final AtomicLong catchUps = new AtomicLong();
  private final AtomicLong proofs = new AtomicLong();
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong lies = new AtomicLong();
  private final AtomicLong fallbacks = new AtomicLong();
  private volatile boolean closed;
  // Scheduler's thread only: the root that catch-ups were last left with only lagging servers
  // from (besides ones without the history), and when that first happened.
  private Hash waitingFrom;
  private long waitingSinceNanos;

  /**
   * @param serverFilter which connected peers to ask
   */
  public ChangeCatchUp(
      SyncConfig config,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      Predicate<NodeId> serverFilter) {
    this.config = config;
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.serverFilter = serverFilter;
    this.client = new ProofClient(transport, config.branchFactor(), config.requestTimeout());
  }

  /**
   * Applies the change from {@code db}'s root to {@code target} and commits it at {@code height}.
   * Completes with the new revision (or the current one if the store is already at the target).
   */
  public CompletableFuture<Revision> catchUp(MerkleDB db, Hash target, long height) {
    CompletableFuture<Revision> done = new CompletableFuture<>();
    scheduler.execute(() -> new Run(db, target, height, done).begin());
    return done;
  }

  public Stats stats() {
    return new Stats(
        catchUps.get(), proofs.get(), changes.get(), failures.get(), lies.get(), fallbacks.get());
  }

  /** Stops: a catch-up in progress fails with {@code UNAVAILABLE} at its next step. */
  @Override
  public void close() {
    closed = true;
  }

  /** One catch-up; all of it on the scheduler's thread. */
  private final class Run {
    private final MerkleDB db;
    private final Hash target;
    private final long height;
    private final CompletableFuture<Revision> done;
    // Servers that cannot give this change: short history, or not at the target yet.
    private final Set<NodeId> noHistory = new HashSet<>();
    private final Set<NodeId> lagging = new HashSet<>();
    private final Set<NodeId> liars = new HashSet<>();
    private Revision start;
    private StateSnapshot base;
    private View local;
    private KeyRange range = KeyRange.ALL;
    private long pending;
    private int failed;
    private NodeId lastFailed;
    // The request whose answer is awaited; an answer to any other is stale (its watchdog fired).
    private long asking;
    private Cancellable watchdog;

    Run(MerkleDB db, Hash target, long height, CompletableFuture<Revision> done) {
      this.db = db;
      this.target = target;
      this.height = height;
      this.done = done;
    }

    void begin() {
      try {
        if (closed) {
          fail(ErrorCode.UNAVAILABLE, "the catch-up is closed");
          return;
        }
        start = db.revision();
        if (start.root().equals(target)) {
          done.complete(start);
          return;
        }
        base = db.snapshot();
        local = View.of(base, new Batch());
        log.debug(
            "catch-up from height {} root {} to height {} root {}",
            start.height(),
            start.root(),
            height,
            target);
        next();
      } catch (RuntimeException e) {
        end(e);
      }
    }

    private void next() {
      if (closed) {
        fail(ErrorCode.UNAVAILABLE, "the catch-up is closed");
        return;
      }
      List<NodeId> servers = servers();
      if (servers.isEmpty()) {
        if (!noHistory.isEmpty() && (lagging.isEmpty() || waitedForLagging())) {
          fallbacks.incrementAndGet();
          waitingFrom = null;
          fail(
              ErrorCode.INSUFFICIENT_HISTORY,
              "no peer keeps the history from "
                  + start.root()
                  + " to "
                  + target
                  + (lagging.isEmpty()
                      ? ""
                      : "; the "
                          + lagging.size()
                          + " that lag the target have not reached it within "
                          + LAGGING_PATIENCE.toSeconds()
                          + " s"));
        } else {
          fail(
              ErrorCode.UNAVAILABLE,
              "no peer can give a change proof to "
                  + target
                  + " now ("
                  + lagging.size()
                  + " do not have it yet, "
                  + liars.size()
                  + " lied)");
        }
        return;
      }
      NodeId server = servers.get(random.nextInt(servers.size()));
      KeyRange asked = range;
      long request = ++asking;
      CompletableFuture<ProofClient.ChangeAnswer> answer =
          client.changeProof(
              server,
              start,
              new Revision(height, target),
              asked,
              config.keyLimit(),
              config.byteLimit());
      watchdog =
          scheduler.schedule(
              config.requestTimeout().plus(SyncManager.STALL_GRACE),
              () -> stalled(request, server, answer));
      answer.whenComplete(
          (a, e) ->
              scheduler.execute(
                  () -> {
                    if (request == asking) {
                      watchdog.cancel();
                      answered(server, asked, a, e);
                    }
                  }));
    }

    /** The answer to {@code request} was not handled in time: a failed request, asked again. */
    private void stalled(long request, NodeId server, CompletableFuture<?> answer) {
      if (request != asking || done.isDone()) {
        return;
      }
      asking++; // its answer, if it ever comes, is stale
      answer.cancel(true);
      log.warn("change proof request to {} stalled; asking again", server.shortString());
      try {
        // Perhaps our own fault (an answer lost on the way in): the server is not reported.
        retryLater(
            server,
            new FerryException(
                ErrorCode.TIMEOUT,
                "no change proof answer handled within "
                    + config.requestTimeout().plus(SyncManager.STALL_GRACE).toSeconds()
                    + " s"));
      } catch (RuntimeException e) {
        end(e);
      }
    }

    /**
     * Whether catch-ups from this store's root have been left with only lagging servers (and ones
     * without the history) for {@link #LAGGING_PATIENCE}; the first time starts the wait.
     */
    private boolean waitedForLagging() {
      long now = scheduler.clock().nanos();
      if (!start.root().equals(waitingFrom)) {
        waitingFrom = start.root();
        waitingSinceNanos = now;
      }
      return now - waitingSinceNanos >= LAGGING_PATIENCE.toNanos();
    }

    /**
     * Connected servers not yet ruled out, avoiding the one that just failed if there is another.
     */
    private List<NodeId> servers() {
      List<NodeId> out = new ArrayList<>();
      for (NodeId p : transport.peers()) {
        if (serverFilter.test(p)
            && !noHistory.contains(p)
            && !lagging.contains(p)
            && !liars.contains(p)) {
          out.add(p);
        }
      }
      if (out.size() > 1 && lastFailed != null) {
        out.remove(lastFailed);
      }
      return out;
    }

    private void answered(
        NodeId server, KeyRange asked, ProofClient.ChangeAnswer answer, Throwable error) {
      try {
        if (closed) {
          fail(ErrorCode.UNAVAILABLE, "the catch-up is closed");
        } else if (error != null) {
          failed(server, unwrap(error));
        } else {
          switch (answer) {
            case ProofClient.ChangeAnswer.Range r -> {
              log.debug("{} has no history from {}: it sent a range proof", server, start.root());
              noHistory.add(server);
              next();
            }
            case ProofClient.ChangeAnswer.Changes c -> apply(server, asked, c.proof());
          }
        }
      } catch (RuntimeException e) {
        end(e);
      }
    }

    private void apply(NodeId server, KeyRange asked, ChangeProof proof) {
      View[] applied = new View[1];
      ProofException lie =
          ProofChecks.lie(
              () ->
                  applied[0] =
                      ProofVerifier.verifyChangeProof(
                          proof, asked, config.keyLimit(), target, local));
      if (lie != null) {
        lied(server, lie);
        return;
      }
      local = applied[0];
      proofs.incrementAndGet();
      int n = proof.keyChanges().size();
      changes.addAndGet(n);
      pending += n;
      if (local.root().equals(target)) {
        commit();
        return;
      }
      Optional<io.ferry.core.Bytes> last =
          n == 0 ? Optional.empty() : Optional.of(proof.keyChanges().get(n - 1).key());
      Optional<KeyRange> rest = last.flatMap(asked::after);
      if (rest.isEmpty()) {
        // Every page verified, yet the pages together do not make the target: the store cannot
        // be at the start root it claims, or a server's pages disagree with each other.
        fail(
            ErrorCode.VERIFICATION_FAILED,
            "change proofs cover the key space but give root " + local.root() + ", not " + target);
        return;
      }
      if (pending > MAX_PENDING_CHANGES) {
        fallbacks.incrementAndGet();
        fail(
            ErrorCode.INSUFFICIENT_HISTORY,
            "more than " + MAX_PENDING_CHANGES + " changes behind: a full sync is cheaper");
        return;
      }
      range = rest.get();
      next();
    }

    private void failed(NodeId server, Throwable cause) {
      if (cause instanceof ProofException pe) {
        lied(server, pe);
        return;
      }
      if (cause instanceof FerryException fe
          && !(cause instanceof TransportException)
          && fe.code() == ErrorCode.INVALID_ENCODING) {
        lied(server, fe);
        return;
      }
      if (cause instanceof TransportException te
          && te.failure() == TransportException.Failure.REMOTE) {
        if (te.code() == ErrorCode.INSUFFICIENT_HISTORY) {
          noHistory.add(server);
          next();
          return;
        }
        if (te.code() == ErrorCode.NOT_FOUND) {
          // It has not reached the target yet: not now, maybe later. (A server that ignores the
          // heights says so also for a target it has passed without keeping: the wait is bounded.)
          lagging.add(server);
          next();
          return;
        }
      }
      if (cause instanceof TransportException te
          && te.failure() == TransportException.Failure.TIMEOUT) {
        transport.peerManager().report(server, Offence.TIMEOUT, "change proof request timed out");
      }
      retryLater(server, cause);
    }

    /** Counts a failed request; asks again after a backoff, or gives up after too many. */
    private void retryLater(NodeId server, Throwable cause) {
      failures.incrementAndGet();
      if (++failed > MAX_FAILURES) {
        fail(ErrorCode.UNAVAILABLE, failed + " change proof requests failed; last: " + cause);
        return;
      }
      lastFailed = server;
      Duration delay = config.backoff().delay(failed - 1, random);
      log.debug(
          "change proof from {} failed ({}); retrying in {} ms", server, cause, delay.toMillis());
      scheduler.schedule(
          delay,
          () -> {
            try {
              next();
            } catch (RuntimeException e) {
              end(e);
            }
          });
    }

    private void lied(NodeId server, FerryException e) {
      lies.incrementAndGet();
      log.warn(
          "server {} sent a change proof that does not verify for {} to {}: {}",
          server.shortString(),
          range,
          target,
          e.getMessage());
      transport.peerManager().report(server, Offence.INVALID_PROOF, e.getMessage());
      liars.add(server);
      next();
    }

    private void commit() {
      Revision r = db.commit(local, height);
      base.close();
      base = null;
      waitingFrom = null;
      catchUps.incrementAndGet();
      log.debug("caught up to height {} root {} with {} changes", r.height(), r.root(), pending);
      done.complete(r);
    }

    private void fail(ErrorCode code, String message) {
      end(new FerryException(code, message));
    }

    private void end(Throwable error) {
      if (base != null) {
        base.close();
        base = null;
      }
      done.completeExceptionally(error);
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }
}
