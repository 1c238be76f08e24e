package io.ferry.sync.archfixture;

import io.ferry.core.runtime.Scheduler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

@SuppressWarnings("unused")
public class Sleeps {
  void threadSleep() throws InterruptedException {
    Thread.sleep(10);
  }

  void timeUnitSleep() throws InterruptedException {
    TimeUnit.MILLISECONDS.sleep(10);
  }

  void scheduled(Scheduler scheduler, Runnable next) {
    scheduler.schedule(Duration.ofMillis(10), next);
  }
}
