package io.ferry.sync.proof;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Clock;
import io.ferry.core.runtime.SystemClock;
import io.ferry.merkledb.MerkleDB;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.net.peers.PeerManager;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of proof sync: answers {@code Request}s on {@link ProtocolId#PROOF_SYNC} with
 * range and change proofs from a {@link MerkleDB}, as AvalancheGo's {@code x/sync} network server
 * does, except that every failure goes back to the peer as a typed error (see {@link
 * RequestDecoder} and {@link ProofService} for which code means what).
 *
 * <p>Invariants:
 *
 * <ul>
 *   <li>A request is answered exactly once, by a proof or a typed error, unless the peer cancels.
 *   <li>Limits a peer asks for above {@link ProofServerConfig#maxKeyLimit} and {@link
 *       ProofServerConfig#maxByteLimit} are clamped down to them; a proof is cut at the end of the
 *       range, never the start.
 *   <li>At most {@link ProofServerConfig#maxPerPeer} proofs per peer and {@link
 *       ProofServerConfig#maxPending} in all are accepted and unanswered at once; a request beyond
 *       either is refused at once with {@link ErrorCode#UNAVAILABLE} ("busy, retry"), never queued.
 *   <li>A request cancelled before its proof is started is dropped without doing the work.
 *   <li>The history records a change proof reads are charged to the peer that asked; a peer over
 *       {@link ProofServerConfig#historyPerSecond} is refused with {@link ErrorCode#UNAVAILABLE}
 *       until its reads have run down on the injected clock.
 *   <li>Decoding happens on the transport thread; proof generation only on the executor.
 * </ul>
 *
 * <p>Requests that no honest client sends (bytes that do not parse, bad limits, roots or bounds)
 * are logged at warn and reported to the peer manager, which scores and eventually bans the peer.
 *
 * <p>Thread-safe.
 */
public final class ProofSyncServer implements ProtocolHandler, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProofSyncServer.class);

  /**
   * Counters since the server started.
   *
   * @param answered requests answered with a proof
   * @param failed requests answered with an error other than "busy"
   * @param refusedBusy requests refused at once because the peer or the server was at its limit
   * @param skippedCancelled requests cancelled by the peer before their proof was started
   */
  public record Stats(long answered, long failed, long refusedBusy, long skippedCancelled) {}

  private volatile ProofService service;
  private final ProofServerConfig config;
  private final Executor executor;
  private final ExecutorService ownedPool; // null when the caller owns the executor
  private final PeerManager peers;
  private final WorkLimiter limiter;
  private final LongAdder answered = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder refusedBusy = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private volatile boolean closed;

  private ProofSyncServer(
      MerkleDB db,
      ProofServerConfig config,
      Executor executor,
      ExecutorService ownedPool,
      PeerManager peers,
      Clock clock) {
    this.service = new ProofService(db);
    this.config = config;
    this.executor = executor;
    this.ownedPool = ownedPool;
    this.peers = peers;
    this.limiter =
        new WorkLimiter(config.maxPerPeer(), config.maxPending(), config.historyPerSecond(), clock);
  }

  /**
   * Serves {@code db} on {@code transport}, generating proofs on a pool of {@link
   * ProofServerConfig#threads} daemon threads that {@link #close} stops; peers' history budgets run
   * on the system clock.
   */
  public static ProofSyncServer start(Transport transport, MerkleDB db, ProofServerConfig config) {
    ExecutorService pool = newPool(config.threads());
    ProofSyncServer server =
        new ProofSyncServer(db, config, pool, pool, transport.peerManager(), SystemClock.INSTANCE);
    transport.register(ProtocolId.PROOF_SYNC, server);
    return server;
  }

  /**
   * Serves {@code db} on {@code transport}, generating proofs on {@code executor}, which the caller
   * owns (the simulator passes one that runs tasks in virtual time), with peers' history budgets on
   * {@code clock}. The server bounds what it hands to the executor, so an unbounded queue is safe.
   */
  public static ProofSyncServer start(
      Transport transport, MerkleDB db, ProofServerConfig config, Executor executor, Clock clock) {
    ProofSyncServer server =
        new ProofSyncServer(db, config, executor, null, transport.peerManager(), clock);
    transport.register(ProtocolId.PROOF_SYNC, server);
    return server;
  }

  private static ExecutorService newPool(int threads) {
    return new ThreadPoolExecutor(
        threads,
        threads,
        0,
        TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), // bounded by the WorkLimiter's admission
        Thread.ofPlatform().name("ferry-proof-sync-", 1).daemon().factory());
  }

  /**
   * Serves another store from now on: a node that rebuilt its store (a full sync of a stale one)
   * keeps its registration. Requests already running finish on the old store, or fail if it closes.
   */
  public void switchTo(MerkleDB db) {
    this.service = new ProofService(db);
  }

  public ProofServerConfig config() {
    return config;
  }

  public Stats stats() {
    return new Stats(answered.sum(), failed.sum(), refusedBusy.sum(), skipped.sum());
  }

  @Override
  public void onRequest(NodeId from, ByteString payload, Responder responder) {
    if (closed) {
      responder.fail(ErrorCode.UNAVAILABLE, "the proof server is shutting down");
      return;
    }
    ProofQuery query;
    try {
      query = RequestDecoder.decode(payload, config);
    } catch (FerryException e) {
      misuse(from, e);
      failed.increment();
      responder.fail(e.code(), e.getMessage());
      return;
    }
    WorkLimiter.Admission admission = limiter.tryAcquire(from);
    if (admission != WorkLimiter.Admission.ADMITTED) {
      refusedBusy.increment();
      String why =
          switch (admission) {
            case PEER_BUSY -> config.maxPerPeer() + " proofs for you are in progress";
            case SERVER_BUSY -> config.maxPending() + " proofs are in progress";
            default ->
                "your change proofs read more than "
                    + config.historyPerSecond()
                    + " history records a second";
          };
      log.debug("busy: refused a proof request from {}: {}", from.shortString(), why);
      responder.fail(ErrorCode.UNAVAILABLE, "busy, retry: " + why);
      return;
    }
    Job job = new Job(from, query, responder);
    responder.onCancel(job::cancel);
    try {
      executor.execute(job);
    } catch (RejectedExecutionException e) {
      job.abort("the proof server is shutting down");
    }
  }

  private void misuse(NodeId from, FerryException e) {
    Offence offence =
        switch (e.code()) {
          case INVALID_ENCODING -> Offence.MALFORMED_MESSAGE;
          case INVALID_ARGUMENT, LIMIT_EXCEEDED -> Offence.PROTOCOL_VIOLATION;
          default -> null; // UNSUPPORTED: perhaps a newer peer, not a misbehaving one
        };
    if (offence == null) {
      log.debug("unsupported proof request from {}: {}", from.shortString(), e.getMessage());
      return;
    }
    log.warn("bad proof request from {}: {}", from.shortString(), e.getMessage());
    peers.report(from, offence, e.getMessage());
  }

  /**
   * Stops taking requests: new ones, and accepted ones not yet started, are answered {@link
   * ErrorCode#UNAVAILABLE}. Stops the server's own pool; proofs being built finish. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    if (ownedPool != null) {
      ownedPool.shutdown();
    }
  }

  /** One accepted request: holds a slot of the limiter from acceptance until it is settled. */
  private final class Job implements Runnable {
    private static final int QUEUED = 0;
    private static final int STARTED = 1;
    private static final int DROPPED = 2;

    private final NodeId peer;
    private final ProofQuery query;
    private final Responder responder;
    private final AtomicInteger state = new AtomicInteger(QUEUED);

    Job(NodeId peer, ProofQuery query, Responder responder) {
      this.peer = peer;
      this.query = query;
      this.responder = responder;
    }

    /** The peer cancelled: if the work has not started, it never will. */
    void cancel() {
      if (state.compareAndSet(QUEUED, DROPPED)) {
        limiter.release(peer);
        skipped.increment();
        log.debug("skipped a proof request {} cancelled by {}", query, peer.shortString());
      }
    }

    void abort(String why) {
      if (state.compareAndSet(QUEUED, DROPPED)) {
        limiter.release(peer);
        failed.increment();
        responder.fail(ErrorCode.UNAVAILABLE, why);
      }
    }

    @Override
    public void run() {
      if (closed) {
        abort("the proof server is shutting down");
        return;
      }
      if (!state.compareAndSet(QUEUED, STARTED)) {
        return;
      }
      Runnable answer;
      try {
        ByteString response = service.answer(query, read -> limiter.charge(peer, read));
        answered.increment();
        log.debug("{} for {}: {} bytes", query, peer.shortString(), response.size());
        answer = () -> responder.respond(response);
      } catch (FerryException e) {
        failed.increment();
        logFailure(e);
        answer = () -> responder.fail(e.code(), e.getMessage());
      } catch (RuntimeException e) {
        failed.increment();
        log.error("proof for {} failed: {}", peer.shortString(), query, e);
        answer = () -> responder.fail(ErrorCode.INTERNAL, "the proof server failed");
      } finally {
        // Before answering: a peer that sends its next request the moment it has this answer
        // must find the slot free.
        limiter.release(peer);
      }
      answer.run();
    }

    private void logFailure(FerryException e) {
      switch (e.code()) {
        case CORRUPT_DATA, INTERNAL, IO_ERROR ->
            log.error("proof for {} failed: {}: {}", peer.shortString(), query, e.toString());
        case INVALID_ARGUMENT ->
            log.warn("bad proof request from {}: {}", peer.shortString(), e.getMessage());
        default -> log.debug("{} for {}: {}", query, peer.shortString(), e.toString());
      }
    }
  }
}
