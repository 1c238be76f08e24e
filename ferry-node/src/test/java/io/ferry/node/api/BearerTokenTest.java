package io.ferry.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenTest {
  @TempDir Path tmp;

  private Path file(String text, String perms) throws Exception {
    Path f = tmp.resolve("token-" + System.nanoTime());
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
    return f;
  }

  @Test
  void acceptsOnlyTheBearerOfTheToken() throws Exception {
    BearerToken t = BearerToken.read(file("s3cret-token\n", "rw-------"));
    assertThat(t.accepts("Bearer s3cret-token")).isTrue();
    assertThat(t.accepts("bearer s3cret-token")).isTrue(); // the scheme is case-insensitive
    assertThat(t.accepts("Bearer s3cret-tokenX")).isFalse();
    assertThat(t.accepts("Bearer s3cret-toke")).isFalse();
    assertThat(t.accepts("Bearer S3CRET-TOKEN")).isFalse();
    assertThat(t.accepts("Basic s3cret-token")).isFalse();
    assertThat(t.accepts("s3cret-token")).isFalse();
    assertThat(t.accepts("Bearer ")).isFalse();
    assertThat(t.accepts(null)).isFalse();
    assertThat(t.toString()).doesNotContain("s3cret");
  }

  @Test
  void refusesAFileOthersMayRead() throws Exception {
    Path f = file("tok\n", "rw-r--r--");
    assertThatThrownBy(() -> BearerToken.read(f))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
        .hasMessageContaining("chmod 600");
  }

  @Test
  void refusesAnEmptyOrMultiLineFile() throws Exception {
    for (String text : new String[] {"", "  \n\n", "one\ntwo\n", "two words\n"}) {
      Path f = file(text, "rw-------");
      assertThatThrownBy(() -> BearerToken.read(f))
          .as("%s", text)
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
  }

  @Test
  void aMissingFileIsNotFound() {
    assertThatThrownBy(() -> BearerToken.read(tmp.resolve("nope")))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND));
  }
}
