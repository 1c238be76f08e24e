package io.ferry.http;

import io.ferry.core.Sha256Hasher;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A few small files read once from the class path and served from memory: a node's status page.
 * Each file {@code name} is served at {@code /ui/<name>}, and {@code index.html} also at {@code /}.
 * Only the names given exist, so no request can reach any other resource.
 *
 * <p>Every answer carries a strong ETag (a hash of the bytes) and {@code Cache-Control: no-cache}:
 * a browser revalidates on each load and gets 304 while the node runs the same build, and the new
 * files at once after an upgrade. A restrictive Content-Security-Policy lets the page load only its
 * own scripts, styles and data.
 *
 * <p>Immutable; thread-safe.
 */
public final class StaticFiles {
  /** The path prefix of every file. */
  public static final String PREFIX = "/ui/";

  /** Only this origin's scripts, styles and requests; no frames, plugins or inline code. */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src"
          + " 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon",
          "json", "application/json");

  /** One file: its bytes, type and tag. */
  record File(byte[] body, String contentType, String etag) {}

  /** No page: the server answers {@code /} with 404, as any unknown path. */
  public static final StaticFiles NONE = new StaticFiles(Map.of());

  private final Map<String, File> files;

  private StaticFiles(Map<String, File> files) {
    this.files = Map.copyOf(files);
  }

  /**
   * Reads {@code names} from the class path folder {@code folder} next to {@code owner} (as {@link
   * Class#getResourceAsStream} resolves a relative name).
   *
   * @throws IllegalArgumentException when a name is missing, has a path separator, or has an
   *     extension with no known content type: a build that lost a file fails at start, not when a
   *     browser asks for it
   */
  public static StaticFiles fromClasspath(Class<?> owner, String folder, String... names) {
    Map<String, File> files = new LinkedHashMap<>();
    for (String name : names) {
      if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
        throw new IllegalArgumentException("not a plain file name: " + name);
      }
      String type = TYPES.get(extension(name));
      if (type == null) {
        throw new IllegalArgumentException("no content type for " + name);
      }
      String resource = folder + "/" + name;
      byte[] body;
      try (InputStream in = owner.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalArgumentException(
              "no resource " + resource + " next to " + owner.getName());
        }
        body = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read resource " + resource, e);
      }
      File file = new File(body, type, etag(body));
      files.put(PREFIX + name, file);
      if (name.equals("index.html")) {
        files.put("/", file);
      }
    }
    return new StaticFiles(files);
  }

  /** True when {@code path} (without query) is one this page answers, found or not. */
  static boolean claims(String path) {
    return path.equals("/") || path.startsWith(PREFIX);
  }

  /** Answers a GET or HEAD for {@code path}: the file, 304 when the tag matches, or 404. */
  FullHttpResponse respond(HttpRequest request, String path) {
    File file = files.get(path);
    if (file == null) {
      return Responses.notFound();
    }
    boolean notModified = matches(request.headers().get(HttpHeaderNames.IF_NONE_MATCH), file.etag);
    boolean head = request.method().equals(HttpMethod.HEAD);
    FullHttpResponse response =
        notModified || head
            ? new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1,
                notModified ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK)
            : new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(file.body));
    HttpHeaders out = response.headers();
    out.set(HttpHeaderNames.ETAG, file.etag);
    out.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
    if (!notModified) {
      out.set(HttpHeaderNames.CONTENT_TYPE, file.contentType);
      out.setInt(HttpHeaderNames.CONTENT_LENGTH, file.body.length);
      out.set("X-Content-Type-Options", "nosniff");
      out.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    }
    return response;
  }

  /** RFC 9110 §13.1.2: a list of tags or {@code *}, compared weakly. */
  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String tag : ifNoneMatch.split(",")) {
      String t = tag.strip();
      if (t.equals("*") || stripWeak(t).equals(etag)) {
        return true;
      }
    }
    return false;
  }

  private static String stripWeak(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  private static String etag(byte[] body) {
    return "\"" + Sha256Hasher.INSTANCE.hash(body).toHex().substring(0, 24) + "\"";
  }
}
