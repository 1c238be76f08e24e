package io.ferry.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import io.ferry.merkledb.store.RocksStore;

/**
 * Which classes are protocol logic: the code that must run the same on Netty in a real node and in
 * the simulator, so it takes time, timers, threads and randomness only from the {@code Clock},
 * {@code Scheduler} and {@code RandomSource} it is given.
 *
 * <p>Everything else is an adapter to the real world and may use it directly: the real runtime
 * ({@code io.ferry.core.runtime}: {@code SystemClock}, {@code ExecutorScheduler}), the Netty and
 * in-memory transports ({@code io.ferry.net.tcp}, {@code tls}, {@code memory}), the RocksDB store,
 * the HTTP service ({@code io.ferry.http}), snapshot archiving ({@code io.ferry.snapshot}, which
 * times its own work for the log), and the node's assembly, CLI, demo and HTTP downloader ({@code
 * io.ferry.node}, {@code cli}, {@code demo}, {@code fetch}: the downloader is a blocking HTTP
 * client on its own threads, like curl, and speaks no peer protocol).
 */
final class ProtocolCode {
  private ProtocolCode() {}

  /**
   * The protocol packages, the simulator among them ({@code io.ferry.net.sim}, moving to {@code
   * io.ferry.sim}): it must replay a seed exactly too.
   */
  static final String[] PACKAGES = {
    "io.ferry.gossip..",
    "io.ferry.blocks..",
    "io.ferry.sync..",
    "io.ferry.net.engine..",
    "io.ferry.net.peers..",
    "io.ferry.merkledb..",
    "io.ferry.node.follow..",
    "io.ferry.node.produce..",
    "io.ferry.net.sim..",
    "io.ferry.sim..",
  };

  /** Protocol classes: in {@link #PACKAGES}, except the RocksDB store (a real-world adapter). */
  static final DescribedPredicate<JavaClass> CLASSES =
      resideInAnyPackage(PACKAGES)
          .and(not(belongToAnyOf(RocksStore.class)))
          .as("are protocol code");
}
