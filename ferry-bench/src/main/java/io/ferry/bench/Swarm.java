package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * One system that gets a file from one seeding node to several downloading nodes at once, every
 * party its own process on loopback: a row of {@code bin/bench blocks}. A run starts its own
 * processes in its own scratch directory, keeps them in the benchmark's {@link Children}, checks
 * every downloaded copy byte for byte against the source before it answers, and stops its processes
 * before it returns.
 */
sealed interface Swarm permits TorrentSwarm, FerrySwarm {

  /** The system's name in the table. */
  String name();

  /** Seeds {@code source} to the downloaders once and measures it. */
  Run run(Source source, Path scratch) throws Exception;

  /** The file every run distributes, and its SHA-256 to check each copy against. */
  record Source(Path file, long bytes, byte[] sha256) {
    static Source of(Path file) throws IOException {
      return new Source(file, Files.size(file), BenchData.sha256(file));
    }

    /** Fails unless {@code copy} holds exactly the source's bytes. */
    void verify(Path copy) throws IOException {
      long size = Files.exists(copy) ? Files.size(copy) : -1;
      if (size != bytes) {
        throw new IllegalStateException(copy + " holds " + size + " bytes, not " + bytes);
      }
      if (!MessageDigest.isEqual(BenchData.sha256(copy), sha256)) {
        throw new IllegalStateException(copy + " differs from the source (SHA-256)");
      }
    }
  }

  /**
   * What one run measured.
   *
   * @param system the system's name
   * @param bytes the file's size
   * @param publishSeconds from the file on the seeder's disk to the seeder offering it to
   *     downloaders: the torrent made and the seeder announced, or the upload answered with a CID
   * @param downloadSeconds each downloader's time from its start to holding the whole file
   * @param allSeconds from the first downloader's start to the last one holding the file
   * @param cpuBusy the share of the machine's CPUs busy while they downloaded, 0 to 1, whatever ran
   *     them
   * @param cpuSeconds CPU time the system's own processes (seeder, downloaders, their clients)
   *     spent while they downloaded
   * @param loadBefore the load averages when the downloads started
   * @param loadAfter the load averages when the last one finished
   * @param seederSent bytes the seeder sent to the downloaders, or -1 when not known
   * @param downloaderSent bytes each downloader sent to the others, -1 where not known
   */
  record Run(
      String system,
      long bytes,
      double publishSeconds,
      double[] downloadSeconds,
      double allSeconds,
      double cpuBusy,
      double cpuSeconds,
      String loadBefore,
      String loadAfter,
      long seederSent,
      long[] downloaderSent) {

    /** Publishing and the downloads: from the file on the seeder's disk to every copy complete. */
    double totalSeconds() {
      return publishSeconds + allSeconds;
    }

    /** The mean of each downloader's file size over its own time, in MB/s (10^6 bytes). */
    double mbPerSecondPerDownloader() {
      return Arrays.stream(downloadSeconds).map(s -> bytes / 1e6 / s).average().orElse(Double.NaN);
    }

    /** The slowest downloader's time from its own start. */
    double slowestSeconds() {
      return Arrays.stream(downloadSeconds).max().orElse(Double.NaN);
    }
  }
}
