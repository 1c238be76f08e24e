package io.ferry.sync.archfixture;

import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Date;
import java.util.function.LongSupplier;

@SuppressWarnings("unused")
public class ReadsWallClock {
  long systemNanoTime() {
    return System.nanoTime();
  }

  long systemMillis() {
    return System.currentTimeMillis();
  }

  Instant instantNow() {
    return Instant.now();
  }

  LocalDateTime localDateTimeNow() {
    return LocalDateTime.now();
  }

  Clock clockSystemUtc() {
    return Clock.systemUTC();
  }

  Date newDate() {
    return new Date();
  }

  LongSupplier methodReference() {
    return System::currentTimeMillis;
  }

  Runnable inLambda() {
    return () -> System.nanoTime();
  }

  long injected(io.ferry.core.runtime.Clock clock) {
    return clock.nanos();
  }

  Date fixedDate() {
    return new Date(0);
  }
}
