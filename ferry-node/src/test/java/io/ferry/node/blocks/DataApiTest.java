package io.ferry.node.blocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.Upload;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.core.FerryException;
import io.ferry.http.HttpStreamRoute;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The data API's parsing and its refusals that need no store: what reaches the store is right. */
class DataApiTest {
  /** A request that records its answer. */
  private static final class FakeCall implements HttpStreamRoute.Call {
    final String method;
    final String rest;
    final InetSocketAddress remote;
    int status;
    String body;

    FakeCall(String method, String rest, String remoteHost) {
      this.method = method;
      this.rest = rest;
      this.remote = new InetSocketAddress(remoteHost, 40000);
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String rest() {
      return rest;
    }

    @Override
    public Map<String, List<String>> query() {
      return Map.of();
    }

    @Override
    public Optional<String> header(String name) {
      return Optional.empty();
    }

    @Override
    public InetSocketAddress remote() {
      return remote;
    }

    @Override
    public InputStream body() {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public void respond(int status, String contentType, byte[] body, Map<String, String> h) {
      this.status = status;
      this.body = new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public HttpStreamRoute.ResponseStream stream(int status, Map<String, String> headers) {
      throw new AssertionError("no stream expected");
    }

    @Override
    public CompletableFuture<Void> closed() {
      return new CompletableFuture<>();
    }
  }

  /** An API whose node parts are never reached: each case below is answered before. */
  private static final DataApi API =
      new DataApi(
          null,
          Runnable::run,
          r -> {
            throw new AssertionError("no import expected");
          });

  private static FakeCall call(String method, String rest, String host) {
    FakeCall c = new FakeCall(method, rest, host);
    API.route().handler().handle(c);
    return c;
  }

  @Test
  void uploadsFromBeyondLoopbackAreRefusedBeforeTheBodyIsRead() {
    // 192.0.2.0/24 is TEST-NET-1: an address only, no packet goes anywhere.
    FakeCall c = call("POST", "", "192.0.2.7");
    assertThat(c.status).isEqualTo(403);
    assertThat(c.body).contains("loopback");
  }

  @Test
  void badCidsAndCidsOfOtherBlocksAre400WithTheReason() {
    FakeCall bad = call("GET", "zzz/network/stream", "127.0.0.1");
    assertThat(bad.status).isEqualTo(400);
    assertThat(bad.body).startsWith("bad CID: ");
    Cid block = Cid.hash(Multicodec.RAW, new byte[] {1, 2, 3});
    FakeCall notManifest = call("GET", block + "/network/manifest", "127.0.0.1");
    assertThat(notManifest.status).isEqualTo(400);
    assertThat(notManifest.body).contains("not a dataset's manifest");
    assertThat(call("PUT", block.toString(), "127.0.0.1").status).isEqualTo(405);
    assertThat(call("DELETE", "", "127.0.0.1").status).isEqualTo(405);
  }

  @Test
  void contentDispositionGivesAFileNameNotAPath() {
    assertThat(DataApi.filename("attachment; filename=\"a b.tar.zst\"")).isEqualTo("a b.tar.zst");
    assertThat(DataApi.filename("attachment; filename=plain.bin; size=3")).isEqualTo("plain.bin");
    assertThat(DataApi.filename("form-data; name=x; filename=\"../../etc/passwd\""))
        .isEqualTo("passwd");
    assertThat(DataApi.filename("attachment; filename=\"q\\\"uote\"")).isEqualTo("q\"uote");
    assertThat(DataApi.filename("inline")).isEmpty();
  }

  @Test
  void theNameAnAnswerGivesIsSafeInAHeaderAndOnADisk() {
    Cid tree = Cid.hash(Multicodec.FERRY_TREE, new byte[] {9});
    Manifest m = new Manifest(tree, 10, 10, "..\"evil name;.txt", "x", Optional.empty());
    assertThat(DataApi.safeName(m, m.cid())).isEqualTo("_evil_name_.txt");
    Manifest none = new Manifest(tree, 10, 10, "", "x", Optional.empty());
    assertThat(DataApi.safeName(none, none.cid())).isEqualTo(none.cid().toString());
  }

  @Test
  void parametersAreCheckedBeforeAnUpload() {
    assertThat(DataApi.parseEc("4,2")).isEqualTo(new Upload.Ec(4, 2));
    assertThatThrownBy(() -> DataApi.parseEc("4")).isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> DataApi.parseEc("0,2")).isInstanceOf(FerryException.class);
    assertThatThrownBy(() -> DataApi.parseEc("200,100")).isInstanceOf(FerryException.class);
    assertThat(DataApi.blockSize(Map.of())).isEqualTo(Manifest.DEFAULT_BLOCK_SIZE);
    assertThat(DataApi.blockSize(Map.of("blockSize", List.of("4096")))).isEqualTo(4096);
    assertThatThrownBy(() -> DataApi.blockSize(Map.of("blockSize", List.of("0"))))
        .hasMessageContaining("blockSize");
    assertThatThrownBy(() -> DataApi.blockSize(Map.of("blockSize", List.of("2MiB"))))
        .hasMessageContaining("blockSize");
  }
}
