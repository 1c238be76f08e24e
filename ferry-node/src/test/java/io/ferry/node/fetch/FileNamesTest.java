package io.ferry.node.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The name a download takes without an output file: the user's, or an archive name. */
class FileNamesTest {
  private static final String ARCHIVE =
      "snapshot-5-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst";

  @ParameterizedTest
  @CsvSource({
    // typed path, final path, name
    "/file.bin, /file.bin, file.bin",
    "/snapshot.tar.zst, /" + ARCHIVE + ", " + ARCHIVE,
    "/incremental-snapshot.tar.zst, /incremental-snapshot-1-2-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst,"
        + " incremental-snapshot-1-2-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst",
    // a redirect to anything but an archive name leaves the typed name
    "/snapshot.tar.zst, /.bashrc, snapshot.tar.zst",
    "/snapshot.tar.zst, /etc/passwd, snapshot.tar.zst",
    "/snapshot.tar.zst, /a/..%2F..%2Fnode.key, snapshot.tar.zst",
    "/snapshot.tar.zst, /snapshot-5-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst%2F, snapshot.tar.zst",
    // a typed archive name is kept even if it redirects to another one
    "/"
        + ARCHIVE
        + ", /snapshot-6-3yZe7dXWyKEMSbd6Ru7qJ4hEosb1vYzz4kvwqPQ8BHAu.tar.zst, "
        + ARCHIVE,
  })
  void choosesTheTypedNameOrARedirectsArchiveName(String typed, String resolved, String name) {
    assertThat(FileNames.choose(uri(typed), uri(resolved))).isEqualTo(name);
  }

  @ParameterizedTest
  @CsvSource({"/", "/.hidden", "/..", "/a%2Fb", "/-rf", "/sub/", "/x%00y"})
  void aTypedUrlWithoutAPlainNameAndNoArchiveRedirectIsRefused(String typed) {
    assertThatThrownBy(() -> FileNames.choose(uri(typed), uri(typed)))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("name the output file");
  }

  @Test
  void aRedirectToAnArchiveNamesAUrlWithoutAName() {
    assertThat(FileNames.choose(uri("/"), uri("/" + ARCHIVE))).isEqualTo(ARCHIVE);
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:8899" + path);
  }
}
