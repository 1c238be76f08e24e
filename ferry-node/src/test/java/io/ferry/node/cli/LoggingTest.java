package io.ferry.node.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class LoggingTest {
  @TempDir Path dir;

  @AfterEach
  void detachTheFile() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Appender<?> file = root.getAppender("FILE");
    if (file != null) {
      root.detachAppender("FILE");
      file.stop();
    }
  }

  private long bytesIn(Path d) throws IOException {
    try (Stream<Path> files = Files.list(d)) {
      return files.mapToLong(f -> f.toFile().length()).sum();
    }
  }

  @Test
  void theLogDirectoryStaysWithinItsCap() throws Exception {
    Logging.Retention small =
        new Logging.Retention(FileSize.valueOf("20KB"), FileSize.valueOf("100KB"), 7);
    Logging.logToFile(dir, false, small);
    org.slf4j.Logger log = LoggerFactory.getLogger("io.ferry.node.LoggingTest");
    String line = "x".repeat(200);
    for (int i = 0; i < 10_000; i++) { // about 2.5 MB
      log.info("line {} {}", i, line);
    }
    detachTheFile(); // stops the appender; old files are deleted as files roll

    // The rolled files within the cap, plus the current file.
    long bound = small.totalCap().getSize() + small.maxFile().getSize() + 4096;
    await().atMost(Duration.ofSeconds(10)).until(() -> bytesIn(dir) <= bound);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.filter(f -> f.getFileName().toString().startsWith("ferry."))).isNotEmpty();
    }
  }
}
