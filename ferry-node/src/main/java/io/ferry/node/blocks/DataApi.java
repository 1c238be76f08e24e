package io.ferry.node.blocks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.blocks.Upload;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.dataset.Protection;
import io.ferry.blocks.exchange.Download;
import io.ferry.blocks.store.StoredDataset;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.http.ByteRange;
import io.ferry.http.HttpStreamRoute;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's data API on its HTTP port, shaped like Codex's REST API (docs/blocks.md):
 *
 * <ul>
 *   <li>{@code POST /api/v1/data}: the body is a file to store ({@code Content-Type} its mime type,
 *       {@code Content-Disposition: filename="…"} its name, {@code ?blockSize=B&ec=K,M}); answers
 *       the manifest CID as text. Only from loopback clients (403 otherwise): the HTTP port has no
 *       credentials, and an upload writes to the node's disk.
 *   <li>{@code GET /api/v1/data}: the datasets held, as JSON.
 *   <li>{@code GET /api/v1/data/<cid>}: the content, from this node only (404 unless every content
 *       block is here).
 *   <li>{@code GET /api/v1/data/<cid>/network/stream}: the content, fetched from the network and
 *       streamed while its blocks arrive; {@code Range} and HEAD.
 *   <li>{@code GET /api/v1/data/<cid>/network/manifest}: the manifest, from the store or the
 *       network, as JSON.
 * </ul>
 *
 * A CID that does not parse, or is not a manifest's, gets 400 with the reason. Blocking work runs
 * on the executors given, never on the connection's event loop. Thread-safe.
 */
public final class DataApi {
  private static final Logger log = LoggerFactory.getLogger(DataApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String OCTETS = "application/octet-stream";
  private static final Pattern FILENAME =
      Pattern.compile("(?i)(?:^|;)\\s*filename\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^;\\s]*))");

  private final NodeBlocks blocks;
  private final Executor work;
  private final Executor imports;

  /**
   * @param work short blocking work: store reads, listings, hops between streamed blocks
   * @param imports uploads, each holding a thread while its body arrives
   */
  public DataApi(NodeBlocks blocks, Executor work, Executor imports) {
    this.blocks = blocks;
    this.work = work;
    this.imports = imports;
  }

  /** The route to add to the node's HTTP server. */
  public HttpStreamRoute route() {
    return new HttpStreamRoute("/api/v1/data/", "data", this::handle);
  }

  private void handle(HttpStreamRoute.Call call) {
    String method = call.method();
    String rest = call.rest();
    if (rest.isEmpty()) {
      switch (method) {
        case "POST" -> upload(call);
        case "GET", "HEAD" -> run(work, call, () -> list(call));
        default -> refuseMethod(call, "GET, HEAD, POST");
      }
      return;
    }
    if (!method.equals("GET") && !method.equals("HEAD")) {
      refuseMethod(call, "GET, HEAD");
      return;
    }
    String[] parts = rest.split("/", -1);
    Cid cid;
    try {
      cid = Cid.parse(parts[0]);
    } catch (FerryException e) {
      text(call, 400, "bad CID: " + e.getMessage());
      return;
    }
    if (cid.codec() != Multicodec.FERRY_MANIFEST) {
      text(call, 400, cid + " names a " + cid.codec() + ", not a dataset's manifest");
      return;
    }
    if (parts.length == 1) {
      run(work, call, () -> local(call, cid));
    } else if (parts.length == 3 && parts[1].equals("network") && parts[2].equals("stream")) {
      network(call, cid);
    } else if (parts.length == 3 && parts[1].equals("network") && parts[2].equals("manifest")) {
      manifest(call, cid);
    } else {
      text(call, 404, "not found");
    }
  }

  // ---- POST /api/v1/data

  private void upload(HttpStreamRoute.Call call) {
    if (call.remote() == null || !call.remote().getAddress().isLoopbackAddress()) {
      text(call, 403, "uploads are taken from loopback clients only");
      return;
    }
    int blockSize;
    Optional<Upload.Ec> ec;
    try {
      blockSize = blockSize(call.query());
      ec = ec(call.query());
    } catch (FerryException e) {
      text(call, 400, e.getMessage());
      return;
    }
    long announced = call.header("Content-Length").map(DataApi::length).orElse(-1L);
    if (announced > blocks.store().quotaBytes()) {
      text(
          call,
          413,
          announced
              + " bytes exceed the block store's quota of "
              + blocks.store().quotaBytes()
              + " bytes");
      return;
    }
    String mimetype = call.header("Content-Type").map(String::strip).orElse(OCTETS);
    String filename = call.header("Content-Disposition").map(DataApi::filename).orElse("");
    run(
        imports,
        call,
        () -> {
          try (InputStream in = call.body()) {
            Manifest m = blocks.put(in, blockSize, filename, mimetype, ec);
            // The CID alone, as Codex answers.
            call.respond(
                200, TEXT, m.cid().toString().getBytes(StandardCharsets.US_ASCII), Map.of());
          } catch (FerryException e) {
            log.info("upload from {} refused: {}", call.remote(), e.getMessage());
            fail(call, e);
          } catch (IOException e) {
            log.info("upload from {} cut off: {}", call.remote(), e.toString());
            text(call, 400, "the upload was cut off: " + e.getMessage());
          }
        });
  }

  static int blockSize(Map<String, List<String>> query) {
    List<String> v = query.get("blockSize");
    if (v == null || v.isEmpty()) {
      return Manifest.DEFAULT_BLOCK_SIZE;
    }
    try {
      int b = Integer.parseInt(v.get(0).strip());
      if (b >= 1 && b <= Limits.MAX_BLOCK_BYTES) {
        return b;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new FerryException(
        ErrorCode.INVALID_ARGUMENT,
        "blockSize is 1 to " + Limits.MAX_BLOCK_BYTES + " bytes, not '" + v.get(0) + "'");
  }

  static Optional<Upload.Ec> ec(Map<String, List<String>> query) {
    List<String> v = query.get("ec");
    if (v == null || v.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(parseEc(v.get(0)));
  }

  /** {@code K,M}: data and parity blocks per group, each at least 1, together at most 256. */
  public static Upload.Ec parseEc(String text) {
    return Upload.Ec.parse(text);
  }

  private static long length(String text) {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The file name a {@code Content-Disposition} value gives, or "". */
  static String filename(String disposition) {
    Matcher m = FILENAME.matcher(disposition);
    if (!m.find()) {
      return "";
    }
    String name = m.group(1) != null ? m.group(1).replaceAll("\\\\(.)", "$1") : m.group(2);
    // A name, not a path: what a browser would save it as.
    int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
    return name.substring(slash + 1);
  }

  // ---- GET /api/v1/data

  /** One dataset of the listing (Codex's field names). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record DatasetJson(
      String cid,
      String treeCid,
      String filename,
      String mimetype,
      Long datasetSize,
      Integer blockSize,
      Integer blocks,
      int heldBlocks,
      boolean complete,
      boolean pinned,
      Boolean isProtected) {}

  private void list(HttpStreamRoute.Call call) {
    List<DatasetJson> out = new ArrayList<>();
    for (StoredDataset d : blocks.store().datasets()) {
      Optional<Manifest> m = d.manifest();
      out.add(
          new DatasetJson(
              d.manifestCid().map(Cid::toString).orElse(null),
              d.tree().toString(),
              m.map(Manifest::filename).orElse(null),
              m.map(Manifest::mimetype).orElse(null),
              m.map(Manifest::contentSize).orElse(null),
              m.map(Manifest::blockSize).orElse(null),
              m.map(Manifest::blocks).orElse(null),
              d.heldLeaves(),
              d.complete(),
              d.pinned(),
              m.map(Manifest::isProtected).orElse(null)));
    }
    json(call, Map.of("content", out));
  }

  // ---- GET /api/v1/data/<cid>

  private void local(HttpStreamRoute.Call call, Cid cid) {
    Optional<Manifest> found = blocks.store().manifest(cid);
    if (found.isEmpty() || !blocks.holdsContent(found.get())) {
      text(call, 404, "no dataset " + cid + " held whole here");
      return;
    }
    Manifest m = found.get();
    content(
        call,
        cid,
        m,
        i ->
            CompletableFuture.supplyAsync(
                () ->
                    blocks
                        .store()
                        .leaf(m.tree(), i)
                        .map(l -> l.data())
                        .orElseThrow(
                            () ->
                                new FerryException(
                                    ErrorCode.NOT_FOUND, "block " + i + " left the store")),
                work),
        () -> {});
  }

  // ---- GET /api/v1/data/<cid>/network/stream

  private void network(HttpStreamRoute.Call call, Cid cid) {
    withManifest(
        call,
        cid,
        m -> {
          if (call.method().equals("HEAD")) {
            content(call, cid, m, null, () -> {});
            return;
          }
          Download d;
          try {
            d = blocks.exchange().download(cid, m);
          } catch (FerryException fe) {
            fail(call, fe);
            return;
          }
          long first = firstByte(call, m);
          Download.Reader reader = d.reader((int) (first / m.blockSize()));
          content(call, cid, m, reader::block, reader::close);
        });
  }

  /** Runs {@code then} on the work pool with the manifest of {@code cid}, or fails the call. */
  private void withManifest(HttpStreamRoute.Call call, Cid cid, Consumer<Manifest> then) {
    blocks
        .exchange()
        .manifest(cid)
        .whenCompleteAsync(
            (m, e) -> {
              if (e != null) {
                fail(call, e);
              } else {
                then.accept(m);
              }
            },
            work);
  }

  /** The first byte a request's range asks for (0 when it asks for none or a bad one). */
  private static long firstByte(HttpStreamRoute.Call call, Manifest m) {
    ByteRange.Request r = ByteRange.parse(call.header("Range").orElse(null), m.contentSize());
    return r instanceof ByteRange.Partial(ByteRange range) ? range.first() : 0;
  }

  /**
   * Answers with the content {@code m} names, or the range asked of it, from {@code source} (null:
   * headers only, for HEAD); {@code onDone} runs when the answer ends or fails.
   */
  private void content(
      HttpStreamRoute.Call call,
      Cid cid,
      Manifest m,
      IntFunction<CompletableFuture<byte[]>> source,
      Runnable onDone) {
    long size = m.contentSize();
    boolean head = call.method().equals("HEAD");
    ByteRange.Request wanted =
        head ? ByteRange.WHOLE : ByteRange.parse(call.header("Range").orElse(null), size);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", m.mimetype().isBlank() ? OCTETS : m.mimetype());
    headers.put("Content-Disposition", "attachment; filename=\"" + safeName(m, cid) + "\"");
    headers.put("Accept-Ranges", "bytes");
    headers.put("ETag", "\"" + cid + "\"");
    if (wanted instanceof ByteRange.Unsatisfiable) {
      onDone.run();
      headers.put("Content-Range", "bytes */" + size);
      call.respond(
          416, TEXT, "range not satisfiable\n".getBytes(StandardCharsets.US_ASCII), headers);
      return;
    }
    long first = 0;
    long last = size - 1;
    int status = 200;
    if (wanted instanceof ByteRange.Partial(ByteRange range)) {
      first = range.first();
      last = range.last();
      status = 206;
      headers.put("Content-Range", range.contentRange(size));
    }
    headers.put("Content-Length", String.valueOf(last - first + 1));
    if (head || source == null) {
      onDone.run();
      call.respond(status, headers.get("Content-Type"), new byte[0], headers);
      return;
    }
    HttpStreamRoute.ResponseStream out = call.stream(status, headers);
    new BodyStreamer(source, out, m.blockSize(), first, last, onDone, work).start(call.closed());
  }

  /**
   * The file name for {@code Content-Disposition}: letters, digits and {@code . _ - +} of the
   * manifest's name, others replaced, no leading dots; the CID when nothing is left.
   */
  static String safeName(Manifest m, Cid cid) {
    StringBuilder b = new StringBuilder();
    for (char c : m.filename().toCharArray()) {
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '_'
              || c == '-'
              || c == '+';
      b.append(ok ? c : '_');
      if (b.length() >= 200) {
        break;
      }
    }
    String name = b.toString().replaceFirst("^\\.+", "");
    return name.isEmpty() || name.chars().allMatch(c -> c == '_') ? cid.toString() : name;
  }

  // ---- GET /api/v1/data/<cid>/network/manifest

  /** A manifest as JSON (Codex's field names). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ManifestJson(
      String cid,
      String treeCid,
      long datasetSize,
      int blockSize,
      String filename,
      String mimetype,
      @com.fasterxml.jackson.annotation.JsonProperty("protected") boolean isProtected,
      Integer ecK,
      Integer ecM,
      String originalTreeCid,
      Long originalSize) {

    static ManifestJson of(Cid cid, Manifest m) {
      Optional<Protection> p = m.protection();
      return new ManifestJson(
          cid.toString(),
          m.tree().toString(),
          m.size(),
          m.blockSize(),
          m.filename(),
          m.mimetype(),
          m.isProtected(),
          p.map(Protection::k).orElse(null),
          p.map(Protection::m).orElse(null),
          p.map(x -> x.originalTree().toString()).orElse(null),
          p.map(Protection::originalSize).orElse(null));
    }
  }

  private void manifest(HttpStreamRoute.Call call, Cid cid) {
    withManifest(call, cid, m -> json(call, ManifestJson.of(cid, m)));
  }

  // ---- answers

  private static void run(Executor on, HttpStreamRoute.Call call, Runnable task) {
    try {
      on.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              log.warn("data API: {} {} failed", call.method(), call.rest(), e);
              fail(call, e);
            }
          });
    } catch (RejectedExecutionException e) {
      text(call, 503, "the node is stopping");
    }
  }

  private static void refuseMethod(HttpStreamRoute.Call call, String allowed) {
    call.respond(
        405, TEXT, (allowed + "\n").getBytes(StandardCharsets.US_ASCII), Map.of("Allow", allowed));
  }

  /** Answers a failure with the status its error code means. */
  private static void fail(HttpStreamRoute.Call call, Throwable t) {
    Throwable e = t instanceof CompletionException c && c.getCause() != null ? c.getCause() : t;
    if (!(e instanceof FerryException fe)) {
      text(call, 500, "internal error");
      return;
    }
    int status =
        switch (fe.code()) {
          case INVALID_ARGUMENT, INVALID_ENCODING -> 400;
          case PERMISSION_DENIED -> 403;
          case NOT_FOUND -> 404;
          case LIMIT_EXCEEDED -> 413;
          case UNSUPPORTED -> 501;
          case CORRUPT_DATA, VERIFICATION_FAILED -> 502;
          case UNAVAILABLE, ILLEGAL_STATE -> 503;
          case TIMEOUT -> 504;
          default -> 500;
        };
    text(call, status, fe.getMessage());
  }

  private static void text(HttpStreamRoute.Call call, int status, String body) {
    call.respond(status, TEXT, (body + "\n").getBytes(StandardCharsets.UTF_8), Map.of());
  }

  private static void json(HttpStreamRoute.Call call, Object value) {
    try {
      call.respond(200, "application/json", JSON.writeValueAsBytes(value), Map.of());
    } catch (JsonProcessingException e) {
      text(call, 500, "does not encode: " + e.getMessage());
    }
  }
}
