package io.ferry.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.Test;

/** The product keeps the rules: each test fails the build with the rule's reason and offences. */
class FerryRulesTest {
  private final JavaClasses main = MainClasses.get();

  @Test
  void protocolCodeReadsNoWallClock() {
    FerryRules.PROTOCOL_CODE_READS_NO_WALL_CLOCK.check(main);
  }

  @Test
  void protocolCodeDoesNotSleep() {
    FerryRules.PROTOCOL_CODE_DOES_NOT_SLEEP.check(main);
  }

  @Test
  void protocolCodeStartsNoThreads() {
    FerryRules.PROTOCOL_CODE_STARTS_NO_THREADS.check(main);
  }

  @Test
  void protocolCodeRunsNoParallelWork() {
    FerryRules.PROTOCOL_CODE_RUNS_NO_PARALLEL_WORK.check(main);
  }

  @Test
  void protocolCodeDrawsOnlySeededRandomness() {
    FerryRules.PROTOCOL_CODE_DRAWS_ONLY_SEEDED_RANDOMNESS.check(main);
  }

  @Test
  void protocolCodeIteratesNoHashOrder() {
    FerryRules.PROTOCOL_CODE_ITERATES_NO_HASH_ORDER.check(main);
  }

  @Test
  void mainCodeDoesNotUseTheSimulator() {
    FerryRules.MAIN_CODE_DOES_NOT_USE_THE_SIMULATOR.check(main);
  }

  @Test
  void onlyTheRocksStoreUsesRocksDb() {
    FerryRules.ONLY_THE_ROCKS_STORE_USES_ROCKSDB.check(main);
  }

  @Test
  void limitsAreDeclaredInLimits() {
    FerryRules.LIMITS_ARE_DECLARED_IN_LIMITS.check(main);
  }

  /** The rules would pass on nothing: show they read every product module, and no test code. */
  @Test
  void theRulesSeeEveryProductModuleAndNoTestCode() {
    assertThat(main.stream().map(JavaClass::getName))
        .contains(
            "io.ferry.core.Limits",
            "io.ferry.wire.v1.Envelope",
            "io.ferry.merkledb.MerkleDB",
            "io.ferry.snapshot.SnapshotWriter",
            "io.ferry.net.engine.Engine",
            "io.ferry.sim.Simulation",
            "io.ferry.sim.node.NodeSimulation",
            "io.ferry.http.SnapshotHttpServer",
            "io.ferry.gossip.head.HeadExchange",
            "io.ferry.sync.proof.ProofSyncServer",
            "io.ferry.node.Node")
        .noneMatch(n -> n.endsWith("Test") || n.endsWith("Properties"))
        .noneMatch(n -> n.contains("archfixture") || n.startsWith("io.ferry.arch."));
    assertThat(main.stream().filter(ProtocolCode.CLASSES)).hasSizeGreaterThan(100);
  }
}
