package io.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferry.bench.Swarm.Run;
import io.ferry.bench.Swarm.Source;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The BitTorrent reference end to end on a small file, where Debian's aria2, opentracker and
 * mktorrent are installed ({@code bin/bench blocks} installs them); skipped elsewhere.
 */
class TorrentSwarmTest {
  @TempDir Path dir;

  @Test
  void everyDownloaderGetsTheWholeFileAndNothingIsLeftRunning() throws Exception {
    for (String tool : List.of("aria2c", "opentracker", "mktorrent")) {
      assumeTrue(onPath(tool), tool + " is not installed");
    }
    Path file = Files.createDirectories(dir.resolve("source")).resolve("data.bin");
    BenchData.writeRandom(file, (4 << 20) + 1234, 3);
    Source source = Source.of(file);
    Run run;
    try (Children children = new Children()) {
      run =
          new TorrentSwarm(children, 3, 64 << 10, Duration.ofMinutes(2))
              .run(source, Files.createDirectories(dir.resolve("run")));
    }

    assertThat(run.downloadSeconds()).hasSize(3);
    assertThat(Arrays.stream(run.downloadSeconds()).min().orElseThrow()).isPositive();
    assertThat(run.allSeconds()).isGreaterThanOrEqualTo(run.slowestSeconds() - 0.05);
    // Every downloader received the whole file from the seeder or from the others.
    long sent = run.seederSent() + Arrays.stream(run.downloaderSent()).sum();
    assertThat(run.seederSent()).isGreaterThan(0);
    assertThat(sent).isGreaterThanOrEqualTo(3 * source.bytes());
    assertThat(run.cpuSeconds()).isNotNegative();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      assertThat(
              all.filter(p -> p.info().commandLine().orElse("").contains(dir.toString())).toList())
          .as("aria2c or opentracker left running")
          .isEmpty();
    }
  }

  private static boolean onPath(String tool) {
    String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin";
    return Stream.of(path.split(File.pathSeparator))
        .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
  }
}
