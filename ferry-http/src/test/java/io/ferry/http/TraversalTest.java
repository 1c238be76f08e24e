package io.ferry.http;

import static io.ferry.http.ServerFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nothing outside the archive directory is ever served, however the path is spelled. */
class TraversalTest {
  static final String ARCHIVE = "snapshot-10-" + HASH + ".tar.zst";

  @TempDir Path tmp;
  ServerFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new ServerFixture(tmp);
    Files.writeString(f.dir.resolve(ARCHIVE), "public archive");
    // An archive-named secret next to the directory, so the name grammar alone does not help.
    Files.writeString(tmp.resolve(ARCHIVE), "SECRET-ARCHIVE");
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void evilPathsAreRefused() throws IOException {
    String secretAbsolute = tmp.resolve("secret.txt").toAbsolutePath().toString();
    List<String> evil =
        new ArrayList<>(
            List.of(
                "/../secret.txt",
                "/../" + ARCHIVE,
                "/..%2f" + ARCHIVE,
                "/..%2F" + ARCHIVE,
                "/%2e%2e/" + ARCHIVE,
                "/%2e%2e%2f" + ARCHIVE,
                "/%2E%2E%2Fsecret.txt",
                "/%252e%252e%252f" + ARCHIVE,
                "/..%5c" + ARCHIVE,
                "/%5c..%5csecret.txt",
                "/..\\" + ARCHIVE,
                "/.\\..\\secret.txt",
                "//" + secretAbsolute,
                "/" + secretAbsolute,
                "/" + secretAbsolute.replace("/", "%2f"),
                "/./" + ARCHIVE + "/../../secret.txt",
                "/" + ARCHIVE + "/..",
                "/" + ARCHIVE + "%00.txt",
                "/%00",
                "/..;/secret.txt",
                "/....//secret.txt",
                "/.%2e/secret.txt",
                "/%c0%ae%c0%ae/secret.txt",
                "/archives/../secret.txt",
                "/secret.txt",
                "/..",
                "/.",
                "..",
                "secret.txt",
                "*",
                "http://127.0.0.1/../secret.txt",
                "file:///etc/passwd"));
    for (String path : evil) {
      String response = f.raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(ServerFixture.status(response)).as(path).isIn(400, 404);
      assertThat(response).as(path).doesNotContain("SECRET").doesNotContain("public archive");
    }
    // Raw bytes the request line grammar does not allow: refused, or the connection dropped.
    for (String path : List.of("/\0", "/" + ARCHIVE + "\0", "/a b")) {
      String response = f.raw("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(ServerFixture.status(response)).as(path).isIn(-1, 400, 404);
      assertThat(response).doesNotContain("SECRET");
    }
    // The real archive is served, with or without a query string.
    assertThat(f.raw("GET /" + ARCHIVE + "?x=1 HTTP/1.1\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200")
        .endsWith("public archive");
  }

  @Test
  void symlinksOutOfTheDirectoryAreRefused() throws IOException {
    String linked = "snapshot-20-" + HASH + ".tar.zst";
    Files.createSymbolicLink(f.dir.resolve(linked), tmp.resolve(ARCHIVE));
    String linkedIncremental = "incremental-snapshot-10-30-" + HASH + ".tar.zst";
    Files.createSymbolicLink(f.dir.resolve(linkedIncremental), Path.of("../secret.txt"));

    assertThat(f.get("/" + linked).statusCode()).isEqualTo(404);
    assertThat(f.get("/" + linkedIncremental).statusCode()).isEqualTo(404);
    // Nor are they offered by the redirects: the newest servable full is still height 10.
    assertThat(f.get("/snapshot.tar.zst").headers().firstValue("location")).hasValue("/" + ARCHIVE);
    assertThat(f.get("/incremental-snapshot.tar.zst").statusCode()).isEqualTo(404);

    // A link that stays inside the directory is fine.
    String inside = "snapshot-5-" + HASH + ".tar.gz";
    Files.createSymbolicLink(f.dir.resolve(inside), Path.of(ARCHIVE));
    assertThat(new String(f.get("/" + inside).body())).isEqualTo("public archive");
  }
}
