package io.ferry.node.fetch;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.IoErrors;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one file from one or several HTTP servers that hold it, as {@code ferry fetch} does:
 * follows redirects within the origin the caller gave (others only when allowed), splits the file
 * into segments fetched with parallel Range requests spread over the servers, resumes an
 * interrupted download from its partial file, drops a server that stays under a minimum speed after
 * a grace period or stalls (its segments go to the others), and checks the size and, when given,
 * the SHA-256 before the file takes its name. It never replaces a file unless told to, and a server
 * never chooses where the file lands: without a file name it is named after the URL the caller
 * gave.
 *
 * <p>One download per instance at a time; the work runs on its own threads. Close it to release its
 * HTTP client, whose selector thread would otherwise delay the JVM's exit.
 */
public final class Downloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Downloader.class);
  private static final int MAX_REDIRECTS = 5;

  /**
   * @param connections requests in flight at once, over all servers
   * @param segmentBytes the unit of progress: the part file records which segments are complete,
   *     and the last requests of a download fetch one segment each
   * @param maxRequestBytes the most bytes one Range request asks for (a whole number of segments)
   * @param minBytesPerSecond a server slower than this after {@code grace} is dropped (0: never)
   * @param grace how long a server may be slow before it is judged
   * @param stallTimeout a request that receives nothing for this long is abandoned
   * @param sha256 the expected SHA-256 of the whole file, hex
   * @param followAnyRedirect follow a redirect to another origin (scheme, host and port) too; off,
   *     such a server is unusable
   * @param replace replace a file already at the output path; off, that is an {@link
   *     OutputExistsException} before anything is fetched
   */
  public record Options(
      int connections,
      int segmentBytes,
      int maxRequestBytes,
      long minBytesPerSecond,
      Duration grace,
      Duration stallTimeout,
      Optional<String> sha256,
      boolean followAnyRedirect,
      boolean replace) {
    public static final Options DEFAULT =
        new Options(
            8,
            1 << 20,
            16 << 20,
            10L << 20,
            Duration.ofSeconds(10),
            Duration.ofSeconds(15),
            Optional.empty(),
            false,
            false);

    public Options {
      if (connections < 1 || segmentBytes < 4096 || maxRequestBytes < segmentBytes) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "need at least 1 connection, 4 KiB segments, and requests of a segment or more");
      }
    }

    public Options withConnections(int n) {
      return new Options(
          n,
          segmentBytes,
          maxRequestBytes,
          minBytesPerSecond,
          grace,
          stallTimeout,
          sha256,
          followAnyRedirect,
          replace);
    }

    public Options withSha256(String hex) {
      return new Options(
          connections,
          segmentBytes,
          maxRequestBytes,
          minBytesPerSecond,
          grace,
          stallTimeout,
          Optional.of(hex.toLowerCase(Locale.ROOT)),
          followAnyRedirect,
          replace);
    }

    public Options withMinSpeed(long bytesPerSecond, Duration grace) {
      return new Options(
          connections,
          segmentBytes,
          maxRequestBytes,
          bytesPerSecond,
          grace,
          stallTimeout,
          sha256,
          followAnyRedirect,
          replace);
    }

    public Options withStallTimeout(Duration d) {
      return new Options(
          connections,
          segmentBytes,
          maxRequestBytes,
          minBytesPerSecond,
          grace,
          d,
          sha256,
          followAnyRedirect,
          replace);
    }

    /** Segments of {@code n} bytes, and requests of up to 16 segments. */
    public Options withSegmentBytes(int n) {
      return new Options(
          connections,
          n,
          (int) Math.min(Integer.MAX_VALUE, 16L * n),
          minBytesPerSecond,
          grace,
          stallTimeout,
          sha256,
          followAnyRedirect,
          replace);
    }

    public Options withFollowAnyRedirect(boolean follow) {
      return new Options(
          connections,
          segmentBytes,
          maxRequestBytes,
          minBytesPerSecond,
          grace,
          stallTimeout,
          sha256,
          follow,
          replace);
    }

    public Options withReplace(boolean replaceExisting) {
      return new Options(
          connections,
          segmentBytes,
          maxRequestBytes,
          minBytesPerSecond,
          grace,
          stallTimeout,
          sha256,
          followAnyRedirect,
          replaceExisting);
    }
  }

  /**
   * @param file where the file now is
   * @param size its length
   * @param fetched bytes fetched by this run (less than size when it resumed)
   * @param dropped servers dropped as too slow, stalled or failing, with why
   * @param served the bytes each usable server sent in this run, by the URL as given, in the order
   *     given
   */
  public record Result(
      Path file, long size, long fetched, List<String> dropped, List<Served> served) {
    public Result {
      dropped = List.copyOf(dropped);
      served = List.copyOf(served);
    }
  }

  /**
   * What one server sent in this run: {@code url} as the caller gave it, its bytes, and where in
   * the file they went (so a caller that finds the file corrupt can tell whose bytes were wrong).
   */
  public record Served(URI url, long bytes, List<Span> spans) {
    public Served {
      spans = List.copyOf(spans);
    }
  }

  /** Bytes {@code [start, end)} of the file. */
  public record Span(long start, long end) {}

  private final HttpClient http =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(10))
          .version(HttpClient.Version.HTTP_1_1)
          .build();

  /** A server during the download: its speed so far and whether it is still used. */
  private static final class Server {
    final Source source;
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong active = new AtomicLong();
    final List<Span> spans = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile long firstNanos;
    volatile boolean dropped;
    volatile int failures;

    Server(Source source) {
      this.source = source;
    }
  }

  /** Told how many bytes of the file are present, out of its size, as the download goes. */
  @FunctionalInterface
  public interface Progress {
    void update(long present, long size);
  }

  /**
   * Downloads the file the URLs name into {@code out}.
   *
   * @param progress told the total bytes present after each write
   * @throws OutputExistsException if a file is at the output path and {@link Options#replace()} is
   *     off (checked before anything is fetched, and again when the file takes its name)
   * @throws FerryException {@link ErrorCode#UNAVAILABLE} if no source could be used or all failed,
   *     {@link ErrorCode#VERIFICATION_FAILED} for a wrong SHA-256, {@link
   *     ErrorCode#INVALID_ARGUMENT} if the file needs a name and its URL gives none
   */
  public Result download(List<URI> urls, Output out, Options options, Progress progress)
      throws IOException, InterruptedException {
    List<Server> servers = new ArrayList<>();
    List<String> dropped = new CopyOnWriteArrayList<>();
    for (URI u : urls) {
      try {
        servers.add(new Server(resolve(u, options.followAnyRedirect())));
      } catch (IOException | FerryException e) {
        // A refused connect carries its reason only in its cause: say it, never "null".
        String why = e instanceof FerryException ? e.getMessage() : IoErrors.reason(e);
        log.warn("source {} unusable: {}", u, why);
        dropped.add(u + ": " + why);
      }
    }
    if (servers.isEmpty()) {
      throw new FerryException(ErrorCode.UNAVAILABLE, "no source could be reached: " + dropped);
    }
    Source first = mostAgreed(servers);
    servers.removeIf(
        s -> {
          if (s.source.size() != first.size()) {
            dropped.add(
                s.source.uri() + ": size " + s.source.size() + " differs from " + first.size());
            return true;
          }
          // A redirect to another archive, or another version of the file: mixing its bytes in
          // would corrupt the download.
          if (first.etag() != null
              && s.source.etag() != null
              && !first.etag().equals(s.source.etag())) {
            dropped.add(
                s.source.uri() + ": holds another file (entity tag " + s.source.etag() + ")");
            return true;
          }
          return false;
        });
    Path target =
        switch (out) {
          case Output.File f -> f.path();
          case Output.NamedIn d ->
              d.dir().resolve(FileNames.choose(first.requested(), first.uri()));
        };
    if (!options.replace() && Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new OutputExistsException(target);
    }
    boolean parallel = servers.stream().allMatch(s -> s.source.ranges());
    int segmentBytes =
        parallel
            ? options.segmentBytes()
            : (int) Math.min(Integer.MAX_VALUE - 8, Math.max(first.size(), 4096));
    try (PartFile part = PartFile.open(target, first.size(), first.etag(), segmentBytes)) {
      long before = part.bytesDone();
      progress.update(before, first.size());
      int connections = parallel ? options.connections() : 1;
      SegmentQueue todo =
          new SegmentQueue(connections, Math.max(1, options.maxRequestBytes() / segmentBytes));
      for (int i = 0; i < part.segments(); i++) {
        if (!part.isDone(i)) {
          todo.add(i);
        }
      }
      if (!todo.isEmpty()) {
        try {
          fetchAll(part, servers, todo, connections, options, progress, dropped);
        } finally {
          part.checkpoint(); // what was fetched survives an interrupt or a failure
        }
      }
      if (!part.complete()) {
        throw new FerryException(
            ErrorCode.UNAVAILABLE,
            "download incomplete: every source failed or was too slow ("
                + dropped
                + "); run again to resume");
      }
      if (options.sha256().isPresent()) {
        String actual = part.sha256();
        if (!actual.equals(options.sha256().get())) {
          part.discard();
          throw new FerryException(
              ErrorCode.VERIFICATION_FAILED,
              "SHA-256 of "
                  + target.getFileName()
                  + " is "
                  + actual
                  + ", expected "
                  + options.sha256().get());
        }
      }
      part.finish(options.replace());
      List<Served> served = new ArrayList<>();
      for (Server s : servers) {
        served.add(new Served(s.source.requested(), s.bytes.get(), s.spans));
      }
      return new Result(target, first.size(), first.size() - before, dropped, served);
    }
  }

  private void fetchAll(
      PartFile part,
      List<Server> servers,
      SegmentQueue todo,
      int connections,
      Options options,
      Progress progress,
      List<String> dropped)
      throws InterruptedException {
    ExecutorService pool =
        Executors.newFixedThreadPool(
            connections, Thread.ofPlatform().name("ferry-fetch").daemon().factory());
    AtomicLong present = new AtomicLong(part.bytesDone());
    AtomicLong inFlight = new AtomicLong();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < connections; w++) {
        workers.add(
            pool.submit(
                () -> {
                  while (true) {
                    SegmentQueue.Run run = todo.take();
                    if (run == null) {
                      if (inFlight.get() == 0 || live(servers).isEmpty()) {
                        return null;
                      }
                      Thread.sleep(20); // a failing request may give its segments back
                      continue;
                    }
                    Server s = pick(servers);
                    if (s == null) {
                      todo.giveBack(run.first(), run.end());
                      return null;
                    }
                    inFlight.incrementAndGet();
                    try {
                      fetchRun(part, run, s, todo, servers, options, present, progress, dropped);
                    } catch (IOException | RuntimeException e) {
                      int f = ++s.failures;
                      log.info(
                          "segments {}-{} from {} failed: {}",
                          run.first(),
                          run.end() - 1,
                          s.source.host(),
                          e.getMessage());
                      if (f >= 3 && !s.dropped) {
                        drop(s, "failed " + f + " times: " + e.getMessage(), dropped);
                      }
                    } finally {
                      inFlight.decrementAndGet();
                    }
                  }
                }));
      }
      for (Future<?> f : workers) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          log.warn("fetch worker failed", e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The source whose size and entity tag most servers share (the first such, on a tie): a server
   * that describes another file is outvoted instead of making every honest one look wrong.
   */
  private static Source mostAgreed(List<Server> servers) {
    Source best = servers.get(0).source;
    int bestCount = 0;
    for (Server candidate : servers) {
      int count = 0;
      for (Server s : servers) {
        if (s.source.size() == candidate.source.size()
            && java.util.Objects.equals(s.source.etag(), candidate.source.etag())) {
          count++;
        }
      }
      if (count > bestCount) {
        best = candidate.source;
        bestCount = count;
      }
    }
    return best;
  }

  private static List<Server> live(List<Server> servers) {
    return servers.stream().filter(s -> !s.dropped).toList();
  }

  /** The live server with the fewest requests in flight. */
  private static synchronized Server pick(List<Server> servers) {
    Server best = null;
    for (Server s : servers) {
      if (!s.dropped && (best == null || s.active.get() < best.active.get())) {
        best = s;
      }
    }
    if (best != null) {
      best.active.incrementAndGet();
    }
    return best;
  }

  private static synchronized void drop(Server s, String why, List<String> dropped) {
    if (!s.dropped) {
      s.dropped = true;
      dropped.add(s.source.uri() + ": " + why);
      log.warn("dropping source {}: {}", s.source.uri(), why);
    }
  }

  /**
   * Fetches one run of segments with one request. When the request fails part-way, the segments it
   * completed are kept and the rest go back to the queue before the error is rethrown.
   */
  private void fetchRun(
      PartFile part,
      SegmentQueue.Run run,
      Server s,
      SegmentQueue todo,
      List<Server> servers,
      Options options,
      AtomicLong present,
      Progress progress,
      List<String> dropped)
      throws IOException, InterruptedException {
    long start = part.segmentStart(run.first());
    long end = part.segmentEnd(run.end() - 1);
    long offset = start;
    try {
      HttpRequest.Builder req =
          HttpRequest.newBuilder(s.source.uri()).timeout(options.stallTimeout()).GET();
      if (s.source.ranges()) {
        req.header("Range", "bytes=" + start + "-" + end);
        if (s.source.etag() != null) {
          req.header("If-Range", s.source.etag());
        }
      }
      HttpResponse<InputStream> resp =
          http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = resp.body()) {
        int expected = s.source.ranges() ? 206 : 200;
        if (resp.statusCode() != expected) {
          throw new IOException(
              "HTTP " + resp.statusCode() + " for bytes " + start + "-" + end + " (file changed?)");
        }
        if (s.firstNanos == 0) {
          s.firstNanos = System.nanoTime();
        }
        byte[] buf = new byte[1 << 20];
        Watchdog dog = new Watchdog(in, options.stallTimeout());
        try {
          while (offset <= end) {
            // The client hands the body over in small pieces: gather them into one large write.
            int want = (int) Math.min(buf.length, end + 1 - offset);
            int n = 0;
            while (n < want) {
              int got = in.read(buf, n, want - n);
              if (got < 0) {
                break;
              }
              n += got;
              dog.fed();
              s.bytes.addAndGet(got);
              judgeSpeed(s, servers, options, dropped);
              if (s.dropped) {
                break;
              }
            }
            if (n > 0) {
              part.write(offset, ByteBuffer.wrap(buf, 0, n));
              offset += n;
              progress.update(present.addAndGet(n), part.size());
            }
            if (s.dropped) {
              throw new IOException("source dropped");
            }
            if (n < want) {
              throw new IOException("connection closed after " + (offset - start) + " bytes");
            }
          }
        } catch (IOException e) {
          if (dog.fired()) {
            throw new IOException("stalled for " + options.stallTimeout().toSeconds() + "s", e);
          }
          throw e;
        } finally {
          dog.stop();
        }
      }
    } finally {
      s.active.decrementAndGet();
      // Keep the segments this request completed; give the rest back.
      int complete = run.first();
      while (complete < run.end() && part.segmentEnd(complete) < offset) {
        complete++;
      }
      part.markDone(run.first(), complete);
      // Only completed segments stay: the rest of a partial one is fetched again, maybe elsewhere.
      long kept = complete < run.end() ? part.segmentStart(complete) : offset;
      if (kept > start) {
        s.spans.add(new Span(start, kept));
      }
      if (complete < run.end()) {
        present.addAndGet(-(offset - part.segmentStart(complete)));
        todo.giveBack(complete, run.end());
      }
    }
  }

  /** Drops {@code s} if it has been slower than the minimum for longer than the grace period. */
  private static void judgeSpeed(
      Server s, List<Server> servers, Options options, List<String> dropped) {
    if (options.minBytesPerSecond() <= 0 || s.dropped) {
      return;
    }
    long elapsed = System.nanoTime() - s.firstNanos;
    if (elapsed < options.grace().toNanos()) {
      return;
    }
    double rate = s.bytes.get() / (elapsed / 1e9);
    // A server's speed is shared by its connections in use: judge it per connection.
    double perConnection = rate / Math.max(1, s.active.get());
    if (perConnection < options.minBytesPerSecond()) {
      synchronized (Downloader.class) {
        if (live(servers).size() > 1) {
          drop(
              s,
              String.format(
                  "%d KiB/s per connection is under the minimum of %d KiB/s",
                  (long) perConnection >> 10, options.minBytesPerSecond() >> 10),
              dropped);
        }
      }
    }
  }

  @Override
  public void close() {
    http.shutdownNow();
  }

  /**
   * Follows redirects with HEAD requests to the file; returns what the final server says. A
   * redirect to another origin is refused unless {@code followAnyRedirect}: the user chose the
   * server, and a server must not send the download elsewhere by itself.
   */
  Source resolve(URI url, boolean followAnyRedirect) throws IOException, InterruptedException {
    URI at = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(at)
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .timeout(Duration.ofSeconds(15))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      int code = r.statusCode();
      if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
        String location =
            r.headers()
                .firstValue("Location")
                .orElseThrow(() -> new IOException("redirect without a Location"));
        URI next;
        try {
          next = at.resolve(location);
        } catch (IllegalArgumentException e) {
          throw new IOException("bad redirect Location '" + location + "' from " + at);
        }
        if (!"http".equalsIgnoreCase(next.getScheme())
            && !"https".equalsIgnoreCase(next.getScheme())) {
          throw new IOException("redirect from " + at + " to " + next + " is not to http(s)");
        }
        if (!followAnyRedirect && !sameOrigin(url, next)) {
          throw new IOException(
              "redirect from "
                  + at
                  + " to "
                  + next
                  + " leads to another origin; not followed unless any redirect is allowed");
        }
        at = next;
        continue;
      }
      if (code != 200) {
        throw new IOException("HTTP " + code + " for " + at);
      }
      URI file = at;
      long size =
          r.headers()
              .firstValueAsLong("Content-Length")
              .orElseThrow(() -> new IOException(file + " sent no Content-Length"));
      String etag = r.headers().firstValue("ETag").orElse(null);
      boolean ranges =
          r.headers().firstValue("Accept-Ranges").map(v -> v.contains("bytes")).orElse(false);
      return new Source(url, at, size, etag, ranges);
    }
    throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + url);
  }

  /** Same scheme, host and port (a missing port is the scheme's default). */
  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost() != null
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    if (u.getPort() != -1) {
      return u.getPort();
    }
    return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }
}
