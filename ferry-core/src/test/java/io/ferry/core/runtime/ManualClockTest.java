package io.ferry.core.runtime;

import static io.ferry.core.FerryAssertions.assertFerryError;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ManualClockTest {
  @Test
  void startsAtZeroAndTheFixedEpoch() {
    ManualClock clock = new ManualClock();
    assertThat(clock.nanos()).isZero();
    assertThat(clock.millis()).isZero();
    assertThat(clock.instant()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
    assertThat(ManualClock.EPOCH).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
  }

  @Test
  void advanceMovesEveryView() {
    ManualClock clock = new ManualClock();
    clock.advance(Duration.ofMillis(1500));
    assertThat(clock.nanos()).isEqualTo(1_500_000_000L);
    assertThat(clock.millis()).isEqualTo(1500);
    assertThat(clock.instant()).isEqualTo(ManualClock.EPOCH.plusMillis(1500));
    clock.advance(Duration.ofNanos(1));
    assertThat(clock.nanos()).isEqualTo(1_500_000_001L);
    clock.advance(Duration.ZERO);
    assertThat(clock.nanos()).isEqualTo(1_500_000_001L);
  }

  @Test
  void advanceTo() {
    ManualClock clock = new ManualClock();
    clock.advanceTo(1000);
    assertThat(clock.nanos()).isEqualTo(1000);
    clock.advanceTo(1000); // staying put is allowed
    assertThat(clock.nanos()).isEqualTo(1000);
    clock.advanceTo(Duration.ofHours(1).toNanos());
    assertThat(clock.instant()).isEqualTo(ManualClock.EPOCH.plus(Duration.ofHours(1)));
  }

  @Test
  void goingBackwardsIsInvalidArgumentAndChangesNothing() {
    ManualClock clock = new ManualClock();
    clock.advanceTo(5000);
    assertFerryError(() -> clock.advanceTo(4999), ErrorCode.INVALID_ARGUMENT)
        .contains("backwards")
        .contains("4999")
        .contains("5000");
    assertFerryError(() -> clock.advance(Duration.ofNanos(-1)), ErrorCode.INVALID_ARGUMENT)
        .contains("backwards");
    assertThat(clock.nanos()).isEqualTo(5000);
  }

  @Test
  void concurrentAdvancesAreNotLost() throws Exception {
    ManualClock clock = new ManualClock();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      Future<?>[] futures = new Future<?>[4];
      for (int t = 0; t < futures.length; t++) {
        futures[t] =
            pool.submit(
                () -> {
                  for (int i = 0; i < 10_000; i++) {
                    clock.advance(Duration.ofNanos(1));
                  }
                });
      }
      for (Future<?> f : futures) {
        f.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(clock.nanos()).isEqualTo(40_000);
  }

  @Test
  void systemClockIsMonotonicAndReadsTheCalendar() {
    Clock clock = SystemClock.INSTANCE;
    long a = clock.nanos();
    long b = clock.nanos();
    assertThat(b).isGreaterThanOrEqualTo(a);
    Instant before = Instant.now();
    Instant read = clock.instant();
    Instant after = Instant.now();
    assertThat(read).isBetween(before, after);
  }
}
