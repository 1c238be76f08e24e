package io.ferry.snapshot;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A child process for {@link LeftoversTest}: locks the file named by its argument (creating it) as
 * a live write or restore in another process does, prints {@code locked}, and holds the lock until
 * its standard input closes.
 */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    try (FileChannel ch =
        FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      ch.lock();
      System.out.println("locked");
      System.out.flush();
      while (System.in.read() >= 0) {
        // hold until the parent closes our input (or dies)
      }
    }
  }

  /** Starts a holder of {@code file}'s lock and returns once it holds it. */
  static Process hold(Path file) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                LockHolder.class.getName(),
                file.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    String line =
        new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
    if (!"locked".equals(line)) {
      p.destroyForcibly();
      throw new AssertionError("the lock holder did not start: " + line);
    }
    return p;
  }

  /** Lets the holder go and waits for it to exit. */
  static void release(Process p) throws Exception {
    p.getOutputStream().close();
    if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
  }
}
