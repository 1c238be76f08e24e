package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.node.blocks.DataApi;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.Flow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ferry blocks put FILE}: streams a file to a node's {@code POST /api/v1/data} and prints
 * the CID that names it.
 */
@Command(
    name = "put",
    mixinStandardHelpOptions = true,
    description = {
      "Store a file as a dataset on a node (which must run on this machine: uploads are taken from"
          + " loopback only) and print its CID.",
      "The node announces it; any node can then fetch it with ferry blocks get CID."
    })
final class BlocksPutCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The file to store.")
  Path file;

  @Option(
      names = "--ec",
      paramLabel = "K,M",
      description = "Erasure coding: K data and M parity blocks per group (default none).")
  String ec;

  @Option(
      names = "--block-size",
      paramLabel = "B",
      description = "Bytes per block (default 65536, Codex's).")
  Integer blockSize;

  @Mixin DataNodeOption node;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new FerryException(
          Files.exists(file) ? ErrorCode.INVALID_ARGUMENT : ErrorCode.NOT_FOUND,
          file + ": " + (Files.exists(file) ? "not a regular file" : "no such file"));
    }
    StringBuilder query = new StringBuilder();
    if (blockSize != null) {
      query.append("blockSize=").append(blockSize);
    }
    if (ec != null) {
      DataApi.parseEc(ec); // refused here, before the upload, if it is bad
      query.append(query.isEmpty() ? "" : "&").append("ec=").append(enc(ec.strip()));
    }
    DataClient client = node.client();
    String name = file.getFileName().toString();
    String type = Files.probeContentType(file);
    long size = Files.size(file);
    HttpRequest.BodyPublisher body;
    try {
      body = HttpRequest.BodyPublishers.ofFile(file);
    } catch (java.io.FileNotFoundException e) {
      throw new FerryException(ErrorCode.NOT_FOUND, file + ": no such file");
    }
    long started = System.nanoTime();
    HttpResponse<String> r;
    try (Progress progress = new Progress("put", size, "B")) {
      HttpRequest request =
          HttpRequest.newBuilder(client.uri(query.isEmpty() ? "" : "?" + query))
              .header("Content-Type", type == null ? "application/octet-stream" : type)
              .header("Content-Disposition", "attachment; filename=\"" + quoted(name) + "\"")
              .POST(new Counting(body, progress))
              .build();
      r = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
    double secs = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getErr()
        .printf("stored %,d bytes in %.2f s (%.1f MiB/s)%n", size, secs, size / secs / (1 << 20));
    spec.commandLine().getOut().println(r.body().strip());
    return ExitCodes.OK;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String quoted(String name) {
    StringBuilder b = new StringBuilder();
    for (char c : name.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(Character.isISOControl(c) ? '_' : c);
    }
    return b.toString();
  }

  /** A body publisher that steps a progress bar by each buffer it hands on. */
  private record Counting(HttpRequest.BodyPublisher inner, Progress progress)
      implements HttpRequest.BodyPublisher {
    @Override
    public long contentLength() {
      return inner.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      inner.subscribe(
          new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
              subscriber.onSubscribe(s);
            }

            @Override
            public void onNext(ByteBuffer item) {
              synchronized (progress) {
                progress.step(item.remaining());
              }
              subscriber.onNext(item);
            }

            @Override
            public void onError(Throwable t) {
              subscriber.onError(t);
            }

            @Override
            public void onComplete() {
              subscriber.onComplete();
            }
          });
    }
  }
}
