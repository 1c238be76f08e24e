package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.Revision;
import io.ferry.wire.v1.CommitRequest;
import io.ferry.wire.v1.CommitResponse;
import io.ferry.wire.v1.KeyValue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The write API's server on a loopback socket, over a stand-in for the node. */
@Timeout(60)
class ApiServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GOOD = "{\"put\": {\"01\": \"02\"}, \"delete\": [\"03\"]}";

  /** Commits counted by height, with a root made from the height. */
  private final class Stub implements CommitTarget {
    final List<Batch> batches = new ArrayList<>();
    final AtomicBoolean producing = new AtomicBoolean(true);
    volatile CountDownLatch gate;
    volatile CountDownLatch entered;
    final NodeId producer = NodeKey.generate().id();

    @Override
    public synchronized Revision commit(Batch batch) {
      if (entered != null) {
        entered.countDown();
      }
      if (gate != null) {
        try {
          gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (!producing.get()) {
        throw new FerryException(ErrorCode.ILLEGAL_STATE, "closed");
      }
      batches.add(batch);
      byte[] root = new byte[32];
      root[31] = (byte) batches.size();
      return new Revision(batches.size(), Hash.of(root));
    }

    @Override
    public boolean produces() {
      return producing.get();
    }

    @Override
    public Optional<NodeId> producer() {
      return Optional.of(producer);
    }
  }

  private final Stub stub = new Stub();
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private ApiServer server;
  private InetSocketAddress address;

  private void start(Optional<BearerToken> token) {
    server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), token, stub);
    address = server.start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    client.close();
  }

  private HttpResponse<byte[]> post(String path, String contentType, byte[] body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + path))
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> postJson(String body, String... headers) throws Exception {
    return post("/v1/commit", "application/json", body.getBytes(StandardCharsets.UTF_8), headers);
  }

  private static JsonNode json(HttpResponse<byte[]> r) throws IOException {
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    return JSON.readTree(r.body());
  }

  private static void assertError(HttpResponse<byte[]> r, int status, String code)
      throws IOException {
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(status);
    JsonNode body = json(r);
    assertThat(body.path("error").asText()).isEqualTo(code);
    assertThat(body.path("message").asText()).isNotBlank();
  }

  @Test
  void aJsonCommitAnswersItsHeightAndRoot() throws Exception {
    start(Optional.empty());
    HttpResponse<byte[]> r = postJson(GOOD);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.path("height").asLong()).isEqualTo(1);
    assertThat(body.path("root").asText()).hasSize(64).endsWith("01");
    assertThat(stub.batches).hasSize(1);
    assertThat(stub.batches.get(0).size()).isEqualTo(2);
    // The connection is kept: a second commit on it works too.
    assertThat(postJson("{\"delete\": [\"09\"]}").statusCode()).isEqualTo(200);
    assertThat(stub.batches).hasSize(2);
  }

  @Test
  void aProtobufCommitAnswersProtobufUnlessAcceptSaysJson() throws Exception {
    start(Optional.empty());
    byte[] body =
        CommitRequest.newBuilder()
            .addPut(
                KeyValue.newBuilder()
                    .setKey(ByteString.copyFromUtf8("k"))
                    .setValue(ByteString.copyFromUtf8("v")))
            .build()
            .toByteArray();
    HttpResponse<byte[]> r = post("/v1/commit", "application/x-protobuf", body);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("application/x-protobuf");
    CommitResponse cr = CommitResponse.parseFrom(r.body());
    assertThat(cr.getHeight()).isEqualTo(1);
    assertThat(cr.getRoot().size()).isEqualTo(32);

    HttpResponse<byte[]> asJson =
        post("/v1/commit", "application/x-protobuf", body, "Accept", "application/json");
    assertThat(json(asJson).path("height").asLong()).isEqualTo(2);
    HttpResponse<byte[]> jsonAsProto = postJson(GOOD, "Accept", "application/x-protobuf");
    assertThat(CommitResponse.parseFrom(jsonAsProto.body()).getHeight()).isEqualTo(3);
  }

  @Test
  void everyRefusalIsATypedJsonError() throws Exception {
    start(Optional.empty());
    assertError(postJson("{\"put\": "), 400, "INVALID_JSON");
    assertError(postJson("{\"put\": {\"zz\": \"00\"}}"), 400, "INVALID_HEX");
    assertError(postJson("{}"), 400, "EMPTY_BATCH");
    assertError(
        postJson("{\"put\": {\"01\": \"02\"}, \"delete\": [\"01\"]}"), 400, "DUPLICATE_KEY");
    assertError(
        post("/v1/commit", "application/x-protobuf", new byte[] {0x0a, 0x09}),
        400,
        "INVALID_PROTOBUF");
    assertError(post("/v1/commit", "text/plain", new byte[] {1}), 415, "UNSUPPORTED_MEDIA_TYPE");
    assertError(
        post(
            "/v1/commit",
            "application/x-www-form-urlencoded", // what curl --data sends without -H
            GOOD.getBytes(StandardCharsets.UTF_8)),
        415,
        "UNSUPPORTED_MEDIA_TYPE");
    assertError(post("/v1/other", "application/json", new byte[0]), 404, "NOT_FOUND");
    HttpResponse<byte[]> get =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + address.getPort() + "/v1/commit"))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertError(get, 405, "METHOD_NOT_ALLOWED");
    assertThat(get.headers().firstValue("allow")).hasValue("POST");
    assertThat(stub.batches).isEmpty();
  }

  @Test
  void aFollowerAnswers409WithItsProducer() throws Exception {
    start(Optional.empty());
    stub.producing.set(false);
    HttpResponse<byte[]> r = postJson(GOOD);
    assertError(r, 409, "NOT_PRODUCER");
    assertThat(json(r).path("producer").asText()).isEqualTo(stub.producer.toString());
  }

  @Test
  void aTokenIsAskedOfEveryRequest() throws Exception {
    start(Optional.of(BearerToken.of("let-me-in")));
    HttpResponse<byte[]> none = postJson(GOOD);
    assertError(none, 401, "UNAUTHORIZED");
    assertThat(none.headers().firstValue("www-authenticate")).hasValue("Bearer");
    assertError(postJson(GOOD, "Authorization", "Bearer let-me-out"), 401, "UNAUTHORIZED");
    // Before anything else: an unknown path without the token is a 401 too.
    assertError(post("/nope", "application/json", new byte[0]), 401, "UNAUTHORIZED");
    assertThat(stub.batches).isEmpty();
    assertThat(postJson(GOOD, "Authorization", "Bearer let-me-in").statusCode()).isEqualTo(200);
    assertThat(stub.batches).hasSize(1);
  }

  @Test
  void anAnnouncedBodyOverTheLimitIsRefusedUnread() throws Exception {
    start(Optional.empty());
    String head =
        "POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: "
            + (Limits.MAX_API_BODY_BYTES + 1L)
            + "\r\n\r\n";
    // Nothing of the body is sent: the answer comes from the head alone.
    String answer = raw(head);
    assertThat(answer).startsWith("HTTP/1.1 413 ").contains("\"error\":\"TOO_LARGE\"");
    assertThat(answer).containsIgnoringCase("connection: close");
  }

  @Test
  void aChunkedBodyGrowingPastTheLimitIsRefused() throws Exception {
    start(Optional.empty());
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Transfer-Encoding: chunked\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      byte[] chunk = new byte[1 << 20];
      java.util.Arrays.fill(chunk, (byte) ' ');
      String size = Integer.toHexString(chunk.length) + "\r\n";
      try {
        for (int i = 0; i <= Limits.MAX_API_BODY_BYTES / chunk.length; i++) {
          out.write(size.getBytes(StandardCharsets.ISO_8859_1));
          out.write(chunk);
          out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        // the server may stop reading once it has answered
      }
      String answer = new String(readAll(s.getInputStream()), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 413 ").contains("TOO_LARGE");
    }
    assertThat(stub.batches).isEmpty();
  }

  @Test
  void expectContinueIsAnsweredOnceTheHeadPasses() throws Exception {
    start(Optional.empty());
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      byte[] body = GOOD.getBytes(StandardCharsets.UTF_8);
      out.write(
          ("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Expect: 100-continue\r\nConnection: close\r\nContent-Length: "
                  + body.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] first = new byte[25];
      int n = in.readNBytes(first, 0, first.length);
      assertThat(new String(first, 0, n, StandardCharsets.ISO_8859_1))
          .startsWith("HTTP/1.1 100 Continue");
      out.write(body);
      out.flush();
      String rest = new String(readAll(in), StandardCharsets.ISO_8859_1);
      assertThat(rest).contains("HTTP/1.1 200 OK").contains("\"height\":1");
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    start(Optional.empty());
    StringBuilder two = new StringBuilder();
    for (String key : new String[] {"0a", "0b"}) {
      String body = "{\"delete\": [\"" + key + "\"]}";
      two.append("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
          .append("Content-Length: ")
          .append(body.length())
          .append("\r\n")
          .append(key.equals("0b") ? "Connection: close\r\n" : "")
          .append("\r\n")
          .append(body);
    }
    String answer = raw(two.toString());
    int first = answer.indexOf("\"height\":1");
    int second = answer.indexOf("\"height\":2");
    assertThat(first).isNotNegative();
    assertThat(second).isGreaterThan(first);
  }

  @Test
  void aStoppingServerAnswers503AndFinishesTheCommitItTook() throws Exception {
    start(Optional.empty());
    stub.gate = new CountDownLatch(1);
    stub.entered = new CountDownLatch(1);
    var inFlight =
        client.sendAsync(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + address.getPort() + "/v1/commit"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(GOOD))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(stub.entered.await(20, TimeUnit.SECONDS)).isTrue();
    try (Socket open = new Socket(address.getAddress(), address.getPort())) {
      open.setSoTimeout(20_000);
      Thread closer = new Thread(server::close);
      closer.start();
      await().atMost(Duration.ofSeconds(20)).until(server::stopping);
      // A connection opened before the stop asks: the node is stopping.
      open.getOutputStream()
          .write(
              ("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      + "Content-Length: 2\r\n\r\n{}")
                  .getBytes(StandardCharsets.ISO_8859_1));
      String refused = new String(readAll(open.getInputStream()), StandardCharsets.ISO_8859_1);
      assertThat(refused).startsWith("HTTP/1.1 503 ").contains("\"UNAVAILABLE\"");
      // The commit taken before the stop still finishes and gets its answer.
      stub.gate.countDown();
      HttpResponse<byte[]> r = inFlight.get(20, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      closer.join(20_000);
      assertThat(closer.isAlive()).isFalse();
    }
    assertThat(stub.batches).hasSize(1);
  }

  @Test
  void aCommitOnAClosedStoreIs503() throws Exception {
    start(Optional.empty());
    // The node began stopping between the head's check and the commit: its store refuses.
    CommitTarget closing =
        CommitTarget.of(
            b -> {
              throw new FerryException(ErrorCode.ILLEGAL_STATE, "the store is closed");
            },
            () -> true,
            Optional::empty);
    Commits.Answer a =
        new Commits(closing)
            .commit(
                GOOD.getBytes(StandardCharsets.UTF_8), Commits.Format.JSON, Commits.Format.JSON);
    assertThat(a.status()).isEqualTo(503);
    assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("\"UNAVAILABLE\"");
  }

  private String raw(String request) throws IOException {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(readAll(s.getInputStream()), StandardCharsets.ISO_8859_1);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      in.transferTo(out);
    } catch (java.net.SocketException e) {
      // a reset after the answer: what was read is the answer
    }
    return out.toByteArray();
  }
}
