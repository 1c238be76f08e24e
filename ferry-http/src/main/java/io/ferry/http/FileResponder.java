package io.ferry.http;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedNioFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a file: validators (ETag, Last-Modified), a single {@code Range} honoured under {@code
 * If-Range}, and the body zero-copy or in chunks.
 *
 * <p>Files are opened before their head is written, and the open channel is what gets streamed, so
 * a file that retention deletes mid-download is still sent to its end. Bodies leave as a {@link
 * DefaultFileRegion} (sendfile) or, under TLS or an egress limit, as 64 KiB chunks read into pooled
 * buffers: never whole into the heap.
 *
 * <p>Stateless apart from its setting; thread-safe.
 */
final class FileResponder {
  private static final Logger log = LoggerFactory.getLogger(FileResponder.class);
  private static final int CHUNK = 64 * 1024;

  private final boolean zeroCopy;

  /**
   * @param zeroCopy send bodies as file regions; false under TLS or an egress limit, which need the
   *     bytes in buffers
   */
  FileResponder(boolean zeroCopy) {
    this.zeroCopy = zeroCopy;
  }

  /**
   * Answers the exchange with the file at {@code path}, or 404 when it cannot be opened. {@code
   * contentHash}, for an archive, is the snapshot hash from its name and makes the ETag with the
   * size alone: archives carry no times and compress deterministically, so every server holding
   * that name holds the same bytes and must give the same tag, or a multi-source download would
   * refuse all but one of them. Other files (genesis) are tagged by size and modification time.
   */
  void serve(Exchange ex, String pathClass, Path path, Optional<String> contentHash) {
    FileChannel file;
    long size;
    long modified;
    try {
      file = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      log.debug("cannot open {}: {}", path, e.toString());
      ex.respond(pathClass, Responses.notFound());
      return;
    }
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      size = file.size();
      modified = attrs.lastModifiedTime().toMillis() / 1000 * 1000;
    } catch (IOException e) {
      // Deleted between open and stat: the caller cannot have seen it either.
      closeQuietly(file);
      ex.respond(pathClass, Responses.notFound());
      return;
    }
    String etag =
        contentHash.isPresent()
            ? "\"" + contentHash.get() + "-" + Long.toHexString(size) + "\""
            : "\"genesis-" + Long.toHexString(size) + "-" + Long.toHexString(modified) + "\"";
    HttpRequest request = ex.request();
    boolean head = request.method().equals(HttpMethod.HEAD);
    HttpHeaders in = request.headers();
    // Range is defined for GET only (RFC 9110 §14.2); HEAD describes the whole file.
    ByteRange.Request wanted =
        head ? ByteRange.WHOLE : ByteRange.parse(in.get(HttpHeaderNames.RANGE), size);
    String ifRange = in.get(HttpHeaderNames.IF_RANGE);
    if (!(wanted instanceof ByteRange.Whole)
        && ifRange != null
        && !ifRangeMatches(ifRange.strip(), etag, modified)) {
      wanted = ByteRange.WHOLE;
    }

    if (wanted instanceof ByteRange.Unsatisfiable) {
      closeQuietly(file);
      FullHttpResponse response =
          Responses.text(
              HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "range not satisfiable\n");
      response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size);
      response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
      response.headers().set(HttpHeaderNames.ETAG, etag);
      ex.respond(pathClass, response);
      return;
    }
    long first = 0;
    long length = size;
    HttpResponseStatus status = HttpResponseStatus.OK;
    if (wanted instanceof ByteRange.Partial(ByteRange range)) {
      first = range.first();
      length = range.length();
      status = HttpResponseStatus.PARTIAL_CONTENT;
    }

    HttpResponse response =
        head
            ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status)
            : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    HttpHeaders out = response.headers();
    out.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
    out.set(HttpHeaderNames.CONTENT_LENGTH, length);
    out.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
    out.set(HttpHeaderNames.ETAG, etag);
    out.set(HttpHeaderNames.LAST_MODIFIED, DateFormatter.format(new Date(modified)));
    if (wanted instanceof ByteRange.Partial(ByteRange range)) {
      out.set(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size));
    }
    if (head) {
      closeQuietly(file);
      ex.respond(pathClass, response);
      return;
    }
    long from = first;
    long bytes = length;
    ex.stream(pathClass, response, ctx -> body(ctx, file, from, bytes));
  }

  /** Writes {@code length} bytes of {@code file} from {@code first}, then the last content. */
  private ChannelFuture body(ChannelHandlerContext ctx, FileChannel file, long first, long length)
      throws IOException {
    if (length == 0) {
      closeQuietly(file);
      return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    if (zeroCopy) {
      // DefaultFileRegion closes the channel when released: written, failed or discarded.
      ctx.write(new DefaultFileRegion(file, first, length));
      return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    try {
      return ctx.writeAndFlush(
          new HttpChunkedInput(new ChunkedNioFile(file, first, length, CHUNK)));
    } catch (IOException e) {
      closeQuietly(file);
      throw e;
    }
  }

  /**
   * RFC 9110 §13.1.5: an entity tag must match strongly (a weak tag never does); a date must equal
   * Last-Modified exactly.
   */
  static boolean ifRangeMatches(String value, String etag, long modifiedMillis) {
    if (value.startsWith("\"") || value.startsWith("W/")) {
      return value.equals(etag);
    }
    Date date = DateFormatter.parseHttpDate(value);
    return date != null && date.getTime() == modifiedMillis;
  }

  private static void closeQuietly(FileChannel file) {
    try {
      file.close();
    } catch (IOException e) {
      // Nothing was written through it.
    }
  }
}
