package io.ferry.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.runtime.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.SubstituteLogger;

class RateLimitedLogTest {
  private final ManualClock clock = new ManualClock();
  private final Queue<SubstituteLoggingEvent> events = new ConcurrentLinkedQueue<>();
  private final RateLimitedLog log =
      new RateLimitedLog(
          new EventRecordingLogger(new SubstituteLogger("test", events, false), events),
          clock,
          3,
          Duration.ofMinutes(1));

  private List<String> lines() {
    return events.stream()
        .map(e -> MessageFormatter.basicArrayFormat(e.getMessage(), e.getArgumentArray()))
        .toList();
  }

  @Test
  void atMostNLinesPerKeyPerInterval() {
    for (int i = 0; i < 1000; i++) {
      log.warn("refused", "refused connection {}", i);
    }
    assertThat(lines())
        .containsExactly("refused connection 0", "refused connection 1", "refused connection 2");

    clock.advance(Duration.ofSeconds(59));
    log.warn("refused", "refused connection {}", "late");
    assertThat(lines()).hasSize(3);
  }

  @Test
  void theNextWindowsFirstLineCountsWhatWasSuppressed() {
    for (int i = 0; i < 10; i++) {
      log.warn("refused", "refused connection {}", i);
    }
    clock.advance(Duration.ofMinutes(1));
    log.warn("refused", "refused connection {}", "again");
    log.warn("refused", "refused connection {}", "and again");
    assertThat(lines())
        .endsWith(
            "refused connection again (7 similar lines suppressed before this one)",
            "refused connection and again");
  }

  @Test
  void keysHaveSeparateBudgets() {
    for (int i = 0; i < 10; i++) {
      log.warn("refused", "refused {}", i);
      log.info("handshake", "handshake failed {}", i);
    }
    assertThat(lines()).hasSize(6);
    assertThat(lines()).filteredOn(l -> l.startsWith("handshake")).hasSize(3);
  }

  @Test
  void aTrailingExceptionStaysTheException() {
    for (int i = 0; i < 4; i++) {
      log.warn("boom", "handler failed on {}", "peer", new IllegalStateException("x"));
    }
    clock.advance(Duration.ofMinutes(1));
    log.warn("boom", "handler failed on {}", "peer", new IllegalStateException("y"));
    SubstituteLoggingEvent last = List.copyOf(events).get(3);
    assertThat(last.getThrowable()).hasMessage("y");
    assertThat(lines().get(3))
        .isEqualTo("handler failed on peer (1 similar lines suppressed before this one)");
  }

  @Test
  void manyKeysShareOneBudgetBeyondTheBound() {
    for (int i = 0; i < RateLimitedLog.MAX_KEYS + 1000; i++) {
      log.warn("key " + i, "line {}", i);
    }
    // Every tracked key got its lines; the keys beyond the bound shared one budget.
    assertThat(lines()).hasSizeLessThanOrEqualTo(RateLimitedLog.MAX_KEYS + 3);
  }
}
