package io.ferry.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.ferry.arch.fixture.Adapter;
import io.ferry.sim.archfixture.FakeSimulator;
import io.ferry.sim.archfixture.SimulatorPart;
import io.ferry.sync.archfixture.DeclaresLimits;
import io.ferry.sync.archfixture.DrawsRandomness;
import io.ferry.sync.archfixture.IteratesHashOrder;
import io.ferry.sync.archfixture.OpensRocksDb;
import io.ferry.sync.archfixture.ReadsWallClock;
import io.ferry.sync.archfixture.RunsInParallel;
import io.ferry.sync.archfixture.Sleeps;
import io.ferry.sync.archfixture.StartsThreads;
import io.ferry.sync.archfixture.UsesSimulator;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Each rule fails on the deliberately bad fixtures (test classes in a protocol package) in exactly
 * the methods or fields that break it, and passes the ones beside them that keep it.
 */
class RulesCatchViolationsTest {
  private static final JavaClasses FIXTURES =
      new ClassFileImporter()
          .importPackages(
              "io.ferry.sync.archfixture", "io.ferry.sim.archfixture", "io.ferry.arch.fixture");

  /**
   * The members of {@code fixture} (not of its nested classes) where {@code check} finds offences.
   */
  private static Set<String> offendingMembers(Check check, Class<?> fixture) {
    return check.offences(FIXTURES).stream()
        .filter(o -> o.owner().getName().equals(fixture.getName()))
        .map(Offence::member)
        .collect(Collectors.toSet());
  }

  private static JavaClasses only(Class<?>... classes) {
    return new ClassFileImporter().importClasses(classes);
  }

  private static void assertFails(ArchRule rule, Class<?> fixture) {
    EvaluationResult result = rule.evaluate(only(fixture));
    assertThat(result.hasViolation()).as("%s on %s", rule.getDescription(), fixture).isTrue();
  }

  @Test
  void wallClock() {
    assertThat(offendingMembers(FerryRules.WALL_CLOCK, ReadsWallClock.class))
        .containsExactlyInAnyOrder(
            "systemNanoTime",
            "systemMillis",
            "instantNow",
            "localDateTimeNow",
            "clockSystemUtc",
            "newDate",
            "methodReference",
            "inLambda");
    assertFails(FerryRules.PROTOCOL_CODE_READS_NO_WALL_CLOCK, ReadsWallClock.class);
  }

  @Test
  void sleep() {
    assertThat(offendingMembers(FerryRules.SLEEP, Sleeps.class))
        .containsExactlyInAnyOrder("threadSleep", "timeUnitSleep");
    assertFails(FerryRules.PROTOCOL_CODE_DOES_NOT_SLEEP, Sleeps.class);
  }

  @Test
  void threads() {
    assertThat(offendingMembers(FerryRules.THREADS, StartsThreads.class))
        .containsExactlyInAnyOrder(
            "newThread",
            "startVirtualThread",
            "ofPlatform",
            "ofVirtual",
            "executorsNew",
            "newThreadPoolExecutor",
            "newForkJoinPool",
            "newTimer",
            "subclass");
    assertFails(FerryRules.PROTOCOL_CODE_STARTS_NO_THREADS, StartsThreads.class);
  }

  @Test
  void parallelWork() {
    assertThat(offendingMembers(FerryRules.PARALLEL_WORK, RunsInParallel.class))
        .containsExactlyInAnyOrder(
            "parallelStream",
            "streamParallel",
            "intStreamParallel",
            "arraysParallelSort",
            "commonPool",
            "supplyAsync",
            "thenApplyAsync");
    assertFails(FerryRules.PROTOCOL_CODE_RUNS_NO_PARALLEL_WORK, RunsInParallel.class);
  }

  @Test
  void unseededRandomness() {
    assertThat(offendingMembers(FerryRules.RANDOM, DrawsRandomness.class))
        .containsExactlyInAnyOrder(
            "newRandom",
            "newSecureRandom",
            "mathRandom",
            "threadLocalRandom",
            "randomUuid",
            "shuffle");
    assertFails(FerryRules.PROTOCOL_CODE_DRAWS_ONLY_SEEDED_RANDOMNESS, DrawsRandomness.class);
  }

  @Test
  void hashOrderIteration() {
    assertThat(offendingMembers(FerryRules.HASH_ORDER, IteratesHashOrder.class))
        .containsExactlyInAnyOrder(
            "mapKeySet", "mapForEach", "hashSetIteration", "concurrentValues", "setParameter");
    assertFails(FerryRules.PROTOCOL_CODE_ITERATES_NO_HASH_ORDER, IteratesHashOrder.class);
  }

  @Test
  void limits() {
    assertThat(offendingMembers(FerryRules.LIMITS_OUTSIDE_LIMITS, DeclaresLimits.class))
        .containsExactlyInAnyOrder("MAX_WIDGETS", "WIDGET_MAX_BYTES", "WIDGET_LIMIT");
    assertFails(FerryRules.LIMITS_ARE_DECLARED_IN_LIMITS, DeclaresLimits.class);
  }

  @Test
  void simulatorInMainCode() {
    assertFails(FerryRules.MAIN_CODE_DOES_NOT_USE_THE_SIMULATOR, UsesSimulator.class);
    assertThat(
            FerryRules.MAIN_CODE_DOES_NOT_USE_THE_SIMULATOR
                .evaluate(only(SimulatorPart.class, FakeSimulator.class, Adapter.class))
                .hasViolation())
        .as("the simulator may use itself")
        .isFalse();
  }

  @Test
  void rocksDbOutsideTheRocksStore() {
    assertFails(FerryRules.ONLY_THE_ROCKS_STORE_USES_ROCKSDB, OpensRocksDb.class);
    assertThat(
            FerryRules.ONLY_THE_ROCKS_STORE_USES_ROCKSDB
                .evaluate(only(io.ferry.merkledb.store.RocksStore.class, Adapter.class))
                .hasViolation())
        .as("the store may, and a class that does not is not judged")
        .isFalse();
  }

  @Test
  void adaptersOutsideTheProtocolPackagesAreNotJudged() {
    assertThat(FerryRules.WALL_CLOCK.offences(only(Adapter.class))).isEmpty();
    assertThat(FerryRules.WALL_CLOCK.offences(only(ReadsWallClock.class))).isNotEmpty();
  }

  @Test
  void anExemptionCoversItsPlaceOnly() {
    Check sleepButOneAllowed =
        Check.accesses(
            ProtocolCode.CLASSES,
            Forbidden.SLEEP,
            List.of(Exemption.of(Sleeps.class.getName() + "#threadSleep", "a test")));
    EvaluationResult result = sleepButOneAllowed.rule().evaluate(only(Sleeps.class));
    assertThat(result.getFailureReport().getDetails())
        .singleElement()
        .asString()
        .contains("TimeUnit.sleep");

    Check wholeClassAllowed =
        Check.accesses(
            ProtocolCode.CLASSES,
            Forbidden.SLEEP,
            List.of(Exemption.of(Sleeps.class.getName(), "a test")));
    assertThat(wholeClassAllowed.rule().evaluate(only(Sleeps.class)).hasViolation()).isFalse();
  }
}
