package io.ferry.node.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The multi-source downloader against small loopback HTTP servers. */
@Timeout(120)
class DownloaderTest {
  @TempDir Path tmp;
  private static final Downloader.Options SMALL =
      Downloader.Options.DEFAULT
          .withSegmentBytes(64 << 10)
          .withConnections(4)
          .withMinSpeed(0, Duration.ZERO);

  private static byte[] data(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  @Test
  void downloadsFromSeveralServersThroughARedirectAndChecksTheHash() throws Exception {
    byte[] file = data(3_000_000);
    try (RangeFileServer a = new RangeFileServer(file);
        RangeFileServer b = new RangeFileServer(file);
        RangeFileServer c = new RangeFileServer(file)) {
      Path out = tmp.resolve("out.bin");
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(a.uri("/latest"), b.uri("/file.bin"), c.uri("/file.bin")),
                  Output.file(out),
                  SMALL.withSha256(sha(file)),
                  (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(r.fetched()).isEqualTo(file.length);
      // Every server carried part of it.
      assertThat(List.of(a.served.get(), b.served.get(), c.served.get())).allMatch(n -> n > 0);
      assertThat(tmp.resolve("out.bin.part")).doesNotExist();
      assertThat(tmp.resolve("out.bin.part.state")).doesNotExist();
    }
  }

  @Test
  void aServerDescribingAnotherFileIsOutvotedAndEachServersSpansAreReported() throws Exception {
    byte[] file = data(1_500_000);
    try (RangeFileServer other = new RangeFileServer(data(1_000_000));
        RangeFileServer a = new RangeFileServer(file);
        RangeFileServer b = new RangeFileServer(file)) {
      other.etag = "\"v2\"";
      Path out = tmp.resolve("voted.bin");
      // The odd one out is listed first; the two that agree decide what the file is.
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(other.uri("/file.bin"), a.uri("/file.bin"), b.uri("/file.bin")),
                  Output.file(out),
                  SMALL.withSha256(sha(file)),
                  (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(r.dropped()).singleElement().asString().startsWith(other.uri("/file.bin") + ":");
      assertThat(r.served())
          .extracting(Downloader.Served::url)
          .containsExactly(a.uri("/file.bin"), b.uri("/file.bin"));
      // The spans tile the file: every byte came from exactly one server.
      List<Downloader.Span> spans = new java.util.ArrayList<>();
      r.served().forEach(x -> spans.addAll(x.spans()));
      spans.sort(java.util.Comparator.comparingLong(Downloader.Span::start));
      long at = 0;
      for (Downloader.Span span : spans) {
        assertThat(span.start()).isEqualTo(at);
        at = span.end();
      }
      assertThat(at).isEqualTo(file.length);
      for (Downloader.Served x : r.served()) {
        long inSpans = x.spans().stream().mapToLong(sp -> sp.end() - sp.start()).sum();
        assertThat(x.bytes()).isGreaterThanOrEqualTo(inSpans);
      }
    }
  }

  @Test
  void anInterruptedDownloadResumesFromItsPartialFile() throws Exception {
    byte[] file = data(2_000_000);
    Path out = tmp.resolve("resume.bin");
    try (RangeFileServer dying = new RangeFileServer(file)) {
      dying.budget.set(700_000); // the server dies a third of the way in
      assertThatThrownBy(
              () ->
                  new Downloader()
                      .download(
                          List.of(dying.uri("/file.bin")), Output.file(out), SMALL, (p, s) -> {}))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
          .hasMessageContaining("run again to resume");
    }
    assertThat(tmp.resolve("resume.bin.part")).exists();
    try (RangeFileServer healthy = new RangeFileServer(file)) {
      Downloader.Result r =
          new Downloader()
              .download(List.of(healthy.uri("/file.bin")), Output.file(out), SMALL, (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(r.fetched()).isLessThan(file.length);
      assertThat(healthy.served.get()).isLessThan(file.length);
    }
  }

  @Test
  void aServerThatDisappearsMidDownloadIsDroppedAndTheOthersFinish() throws Exception {
    byte[] file = data(3_000_000);
    try (RangeFileServer good = new RangeFileServer(file);
        RangeFileServer flaky = new RangeFileServer(file)) {
      flaky.budget.set(300_000);
      Path out = tmp.resolve("flaky.bin");
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(flaky.uri("/file.bin"), good.uri("/file.bin")),
                  Output.file(out),
                  SMALL,
                  (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(r.dropped()).anyMatch(d -> d.contains(flaky.uri("/file.bin").toString()));
    }
  }

  @Test
  void aSlowServerIsDroppedAfterTheGracePeriod() throws Exception {
    byte[] file = data(4_000_000);
    try (RangeFileServer fast = new RangeFileServer(file);
        RangeFileServer slow = new RangeFileServer(file)) {
      slow.throttle(64 << 10);
      Path out = tmp.resolve("slow.bin");
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(slow.uri("/file.bin"), fast.uri("/file.bin")),
                  Output.file(out),
                  SMALL.withMinSpeed(512 << 10, Duration.ofMillis(500)),
                  (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(r.dropped()).anyMatch(d -> d.contains(slow.uri("/file.bin").toString()));
    }
  }

  @Test
  void aServerHoldingAnotherFileOfTheSameSizeIsNotMixedIn() throws Exception {
    byte[] file = data(1_000_000);
    byte[] other = data(999_999);
    other = java.util.Arrays.copyOf(other, file.length);
    try (RangeFileServer a = new RangeFileServer(file);
        RangeFileServer b = new RangeFileServer(other)) {
      b.etag = "\"v2\"";
      Path out = tmp.resolve("same-size.bin");
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(a.uri("/file.bin"), b.uri("/file.bin")),
                  Output.file(out),
                  SMALL,
                  (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
      assertThat(b.served.get()).isZero();
      assertThat(r.dropped()).anyMatch(d -> d.contains("another file"));
    }
  }

  @Test
  void aWrongHashFailsAndLeavesNothingBehind() throws Exception {
    byte[] file = data(500_000);
    try (RangeFileServer a = new RangeFileServer(file)) {
      Path out = tmp.resolve("bad.bin");
      assertThatThrownBy(
              () ->
                  new Downloader()
                      .download(
                          List.of(a.uri("/file.bin")),
                          Output.file(out),
                          SMALL.withSha256("00".repeat(32)),
                          (p, s) -> {}))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED));
      assertThat(out).doesNotExist();
      assertThat(tmp.resolve("bad.bin.part")).doesNotExist();
    }
  }

  @Test
  void withoutAFileNameTheTypedUrlNamesItWhenTheRedirectTargetIsNoArchiveName() throws Exception {
    byte[] file = data(300_000);
    try (RangeFileServer a = new RangeFileServer(file)) {
      a.serveAt("/.profile").redirect("/snapshot.tar.zst", "/.profile");
      Path dir = Files.createDirectories(tmp.resolve("named"));
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(a.uri("/snapshot.tar.zst")), Output.namedIn(dir), SMALL, (p, s) -> {});
      assertThat(r.file()).isEqualTo(dir.resolve("snapshot.tar.zst"));
      assertThat(Files.readAllBytes(r.file())).isEqualTo(file);
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString())).containsExactly("snapshot.tar.zst");
      }
    }
  }

  @Test
  void withoutAFileNameARedirectToAnArchiveNameNamesIt() throws Exception {
    byte[] file = data(300_000);
    String archive = "snapshot-5-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst";
    try (RangeFileServer a = new RangeFileServer(file)) {
      a.serveAt("/" + archive).redirect("/snapshot.tar.zst", "/" + archive);
      Path dir = Files.createDirectories(tmp.resolve("named"));
      Downloader.Result r =
          new Downloader()
              .download(
                  List.of(a.uri("/snapshot.tar.zst")), Output.namedIn(dir), SMALL, (p, s) -> {});
      assertThat(r.file()).isEqualTo(dir.resolve(archive));
      assertThat(Files.readAllBytes(r.file())).isEqualTo(file);
    }
  }

  @Test
  void aRedirectToAnotherOriginIsNotFollowedUnlessAllowed() throws Exception {
    byte[] file = data(300_000);
    try (RangeFileServer a = new RangeFileServer(file);
        RangeFileServer elsewhere = new RangeFileServer(file)) {
      a.redirect("/snapshot.tar.zst", elsewhere.uri("/file.bin").toString());
      Path out = tmp.resolve("out.bin");
      assertThatThrownBy(
              () ->
                  new Downloader()
                      .download(
                          List.of(a.uri("/snapshot.tar.zst")),
                          Output.file(out),
                          SMALL,
                          (p, s) -> {}))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
          .hasMessageContaining("another origin");
      assertThat(elsewhere.requests.get()).isZero();
      assertThat(out).doesNotExist();

      new Downloader()
          .download(
              List.of(a.uri("/snapshot.tar.zst")),
              Output.file(out),
              SMALL.withFollowAnyRedirect(true),
              (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
    }
  }

  @Test
  void anExistingFileIsReplacedOnlyWhenAsked() throws Exception {
    byte[] file = data(300_000);
    try (RangeFileServer a = new RangeFileServer(file)) {
      Path out = Files.writeString(tmp.resolve("kept.bin"), "precious");
      assertThatThrownBy(
              () ->
                  new Downloader()
                      .download(List.of(a.uri("/file.bin")), Output.file(out), SMALL, (p, s) -> {}))
          .isInstanceOf(OutputExistsException.class)
          .hasMessageContaining(out.toString());
      assertThat(Files.readString(out)).isEqualTo("precious");
      assertThat(a.served.get()).as("nothing is fetched").isZero();
      assertThat(tmp.resolve("kept.bin.part")).doesNotExist();

      new Downloader()
          .download(
              List.of(a.uri("/file.bin")), Output.file(out), SMALL.withReplace(true), (p, s) -> {});
      assertThat(Files.readAllBytes(out)).isEqualTo(file);
    }
  }

  @Test
  void anUnreachableSourceIsNamedWithItsReasonNotNull() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    java.net.URI url = java.net.URI.create("http://127.0.0.1:" + closedPort + "/file.bin");
    assertThatThrownBy(
            () ->
                new Downloader()
                    .download(List.of(url), Output.file(tmp.resolve("x.bin")), SMALL, (p, s) -> {}))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE))
        .hasMessageContaining(url.toString())
        .hasMessageNotContaining("null");
  }
}
