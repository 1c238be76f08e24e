package io.ferry.node;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium run as a command, the way a person checks a page: a screenshot, or the DOM
 * after the page's scripts ran. {@code --virtual-time-budget} lets timers fire in virtual time, so
 * the page polls several times in a fraction of a second of real time.
 */
final class Chromium {
  private static final List<String> NAMES =
      List.of("chromium", "chromium-browser", "google-chrome");
  private static final long TIMEOUT_SECONDS = 90;

  private final Path binary;
  private final Path work;

  private Chromium(Path binary, Path work) {
    this.binary = binary;
    this.work = work;
  }

  /** The first Chromium on {@code PATH}, working in {@code work}; empty when none is installed. */
  static Optional<Chromium> find(Path work) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String name : NAMES) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(new Chromium(candidate, work));
        }
      }
    }
    return Optional.empty();
  }

  /** Loads {@code page}, lets {@code virtualMillis} of virtual time pass, and writes a PNG. */
  Path screenshot(URI page, Path png, int virtualMillis) throws IOException, InterruptedException {
    run(
        List.of(
            "--screenshot=" + png.toAbsolutePath(),
            "--window-size=1200,900",
            "--virtual-time-budget=" + virtualMillis,
            page.toString()),
        "screenshot");
    return png;
  }

  /** Loads {@code page}, lets {@code virtualMillis} of virtual time pass, and returns the DOM. */
  String dumpDom(URI page, int virtualMillis) throws IOException, InterruptedException {
    Path out =
        run(
            List.of("--dump-dom", "--virtual-time-budget=" + virtualMillis, page.toString()),
            "dom");
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private Path run(List<String> args, String name) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(
        List.of(
            "--headless",
            "--no-sandbox", // tests may run as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--user-data-dir=" + work.resolve("profile-" + name).toAbsolutePath()));
    command.addAll(args);
    Path stdout = work.resolve(name + ".out");
    Path stderr = work.resolve(name + ".err");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("chromium took more than " + TIMEOUT_SECONDS + " s");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          "chromium exited " + p.exitValue() + ": " + Files.readString(stderr));
    }
    return stdout;
  }
}
