package io.ferry.node.cli;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ferry blocks get CID -o FILE}: has a node fetch a dataset from the network and streams it
 * into {@code FILE.part} as its blocks arrive, then renames it to {@code FILE}.
 */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Fetch a dataset by CID through a node, which gets its blocks from every peer that has"
          + " them, verifies each, and streams the content while it arrives.",
      "Exit codes: 5 no such dataset, 6 node unreachable, 7 FILE exists (--force replaces it),"
          + " 8 the node's fetch failed midway (a short body)."
    })
final class BlocksGetCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "CID", description = "The dataset's manifest CID.")
  String cid;

  @Option(
      names = {"-o", "--out"},
      required = true,
      paramLabel = "FILE",
      description = "Where to write it.")
  Path out;

  @Option(names = "--force", description = "Replace FILE if it exists.")
  boolean force;

  @Mixin DataNodeOption node;

  @Override
  public Integer call() throws Exception {
    Cid.parse(cid, Multicodec.FERRY_MANIFEST); // a bad CID is refused before any request
    if (Files.exists(out) && !force) {
      spec.commandLine().getErr().println("ferry: " + out + " exists; --force replaces it");
      return ExitCodes.EXISTS;
    }
    DataClient client = node.client();
    long started = System.nanoTime();
    HttpResponse<InputStream> r =
        client.send(
            HttpRequest.newBuilder(client.uri("/" + cid + "/network/stream")).build(),
            HttpResponse.BodyHandlers.ofInputStream());
    long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    Path part = out.resolveSibling(out.getFileName() + ".part");
    long got = 0;
    IOException cut = null;
    try (Progress bar = new Progress("get", size, "MiB", 1 << 20);
        InputStream in = r.body();
        OutputStream file = Files.newOutputStream(part)) {
      byte[] buf = new byte[256 * 1024];
      for (int n; (n = read(in, buf)) >= 0; ) {
        file.write(buf, 0, n);
        got += n;
        bar.stepTo(got);
      }
    } catch (ShortBody e) {
      cut = e.cause;
    }
    if (cut != null || (size >= 0 && got != size)) {
      Files.deleteIfExists(part);
      spec.commandLine()
          .getErr()
          .printf(
              "ferry: the node's fetch of %s stopped after %,d of %,d bytes%s%n",
              cid, got, size, cut == null ? "" : " (" + cut.getMessage() + ")");
      return ExitCodes.INCOMPLETE;
    }
    if (force) {
      Files.move(part, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } else {
      Files.move(part, out, StandardCopyOption.ATOMIC_MOVE);
    }
    double secs = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getErr()
        .printf("fetched %,d bytes in %.2f s (%.1f MiB/s)%n", got, secs, got / secs / (1 << 20));
    spec.commandLine().getOut().println(out);
    return ExitCodes.OK;
  }

  /** A read from the node that failed: the body ended short, not a local I/O error. */
  private static final class ShortBody extends IOException {
    final IOException cause;

    ShortBody(IOException cause) {
      super(cause);
      this.cause = cause;
    }
  }

  private static int read(InputStream in, byte[] buf) throws ShortBody {
    try {
      return in.read(buf);
    } catch (IOException e) {
      throw new ShortBody(e);
    }
  }
}
