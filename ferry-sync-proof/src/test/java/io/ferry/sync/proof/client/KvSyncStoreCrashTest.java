package io.ferry.sync.proof.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Applies are atomic and durable under process death: a child JVM ({@link SyncStoreCrashWriter})
 * applies deterministic steps (some starting with a clear) to a {@link KvSyncStore} with synced
 * writes and is killed (SIGKILL) at random instants, during JVM start and store recovery or
 * anywhere inside a write. After each kill the store is reopened here: its target names the steps
 * it holds, which must be the last one the child reported or the one after it, and its data and
 * progress must equal a {@link MemorySyncStore} that applied exactly those steps. The one other
 * state allowed is the empty store in the middle of a step that clears first. The same directory is
 * reused, so every child resumes from what the previous one left.
 */
class KvSyncStoreCrashTest {
  private static final int KILLS = 14;
  private static final long LINE_TIMEOUT_SECONDS = 60;

  @TempDir Path tmp;

  @Test
  void everyKillLeavesTheLastReportedStepOrTheNextOneAndNothingElse() throws Exception {
    Path dir = tmp.resolve("staging");
    Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
    Random rnd = new Random(0x5EED5);
    MemorySyncStore model = new MemorySyncStore();
    long modelSteps = 0;
    long durable = 0; // steps the store held after the previous kill
    long reportedSteps = 0;
    int unreported = 0;
    int midClear = 0;
    for (int kill = 0; kill < KILLS; kill++) {
      String what = "kill " + kill + " (store held " + durable + " steps)";
      List<String> lines;
      try (Child child = new Child(dir, durable, childTmp, tmp.resolve("stderr-" + kill))) {
        if (kill > 0 && rnd.nextInt(5) == 0) {
          // Anywhere from JVM start through RocksDB's recovery to the first steps.
          Thread.sleep(rnd.nextInt(1200));
        } else {
          child.next(); // OPEN
          int steps = rnd.nextInt(8);
          for (int i = 0; i < steps; i++) {
            child.next();
          }
          // Land at a random instant of the step now running (or the report after it).
          LockSupport.parkNanos(rnd.nextLong(30_000_000L));
        }
        lines = child.killAndDrain();
      }

      long last = durable;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (i == 0) {
          assertThat(line).as("%s: first line", what).isEqualTo("OPEN");
        } else if (line.startsWith("APPLIED ")) {
          assertThat(Long.parseLong(line.substring(8))).as("%s: step", what).isEqualTo(last + 1);
          last++;
        } else {
          assertThat(i).as("%s: unparsable line '%s'", what, line).isEqualTo(lines.size() - 1);
        }
      }
      reportedSteps += last - durable;

      try (KvSyncStore store = SyncStores.open(dir, true)) {
        List<KeyValue> contents = new ArrayList<>();
        store.iterator().forEachRemaining(contents::add);
        long held;
        if (store.target().isEmpty()) {
          // Only between a clearing step's clear and its apply (or before the first step).
          assertThat(last == 0 || SyncStoreCrashWriter.clears(last + 1))
              .as("%s: reopened empty after step %d", what, last)
              .isTrue();
          assertThat(store.progress()).as(what).isEmpty();
          assertThat(contents).as("%s: data without a target", what).isEmpty();
          assertThat(store.keyCount()).isZero();
          held = last;
          if (last > 0) {
            midClear++;
          }
        } else {
          held = SyncStoreCrashWriter.stepOf(store.target().get());
          assertThat(held)
              .as("%s: reopened holding %d steps, last reported %d", what, held, last)
              .isBetween(last, last + 1);
          if (held > last) {
            unreported++;
          }
          while (modelSteps < held) {
            SyncStoreCrashWriter.step(++modelSteps).applyTo(model);
          }
          assertThat(store.progress()).as("%s: progress", what).isEqualTo(model.progress());
          assertThat(contents).as("%s: data", what).isEqualTo(model.scan(KeyRange.ALL));
          for (CompletedRange c : store.progress()) {
            assertThat(store.scan(c.range()))
                .as("%s: completed range %s", what, c.range())
                .isEqualTo(model.scan(c.range()));
          }
        }
        durable = held;
      }
    }
    System.out.printf(
        "KvSyncStoreCrashTest: %d kills, %d steps reported, %d held, %d kills caught a step"
            + " durable but not reported, %d caught a clearing step between its clear and apply%n",
        KILLS, reportedSteps, durable, unreported, midClear);
    assertThat(reportedSteps).as("steps reported over all children").isGreaterThan(KILLS);
    assertThat(durable).as("steps held at the end").isGreaterThan(SyncStoreCrashWriter.CLEAR_EVERY);
  }

  /**
   * A running {@link SyncStoreCrashWriter}, its output read line by line on a thread of its own.
   */
  private static final class Child implements AutoCloseable {
    private static final String EOF = new String("<eof>");

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;
    private boolean ended;

    Child(Path dir, long applied, Path childTmp, Path stderr) throws IOException {
      this.stderr = stderr;
      List<String> cmd =
          List.of(
              ProcessHandle.current().info().command().orElseThrow(),
              "--enable-native-access=ALL-UNNAMED",
              "-XX:+UseSerialGC",
              "-XX:TieredStopAtLevel=1",
              "-Xmx128m",
              // RocksDB unpacks its native library into the temp dir; a killed JVM leaves it.
              "-Djava.io.tmpdir=" + childTmp,
              "-cp",
              System.getProperty("java.class.path"),
              SyncStoreCrashWriter.class.getName(),
              dir.toString(),
              String.valueOf(applied));
      process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
      reader =
          Thread.ofPlatform()
              .daemon()
              .name("sync-store-crash-writer-stdout")
              .start(
                  () -> {
                    try (BufferedReader r = process.inputReader()) {
                      String line;
                      while ((line = r.readLine()) != null) {
                        queue.add(line);
                      }
                    } catch (IOException ignored) {
                      // the stream ends with the process
                    } finally {
                      queue.add(EOF);
                    }
                  });
    }

    /** Waits for the next line; fails the test if the child died or went quiet. */
    String next() throws InterruptedException, IOException {
      String line = ended ? EOF : queue.poll(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (line == null || line == EOF) {
        fail(
            "the writer %s; stderr:%n%s",
            line == null ? "reported nothing for " + LINE_TIMEOUT_SECONDS + " s" : "exited",
            Files.readString(stderr));
      }
      lines.add(line);
      return line;
    }

    /** Kills the child (SIGKILL) and returns every line it printed. */
    List<String> killAndDrain() throws InterruptedException {
      // Through the handle: Process.destroyForcibly also closes our end of the child's stdout,
      // dropping the lines the reader had not read yet (the store then looked ahead of them).
      process.toHandle().destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the writer died").isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(30));
      String line;
      while (!ended && (line = queue.poll(30, TimeUnit.SECONDS)) != null) {
        if (line == EOF) {
          ended = true;
        } else {
          lines.add(line);
        }
      }
      assertThat(ended).as("the writer's output ended").isTrue();
      return lines;
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
