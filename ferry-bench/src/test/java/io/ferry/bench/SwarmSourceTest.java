package io.ferry.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.bench.Swarm.Source;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SwarmSourceTest {
  @TempDir Path dir;

  @Test
  void acceptsAnExactCopyAndRefusesAnyOther() throws Exception {
    Path file = dir.resolve("data.bin");
    BenchData.writeRandom(file, 3 * (1 << 20) + 17, 1);
    Source source = Source.of(file);
    assertThat(source.bytes()).isEqualTo(3 * (1 << 20) + 17);

    Path copy = dir.resolve("copy");
    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
    assertThatCode(() -> source.verify(copy)).doesNotThrowAnyException();

    try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
      f.seek(2 * (1 << 20) + 5);
      int b = f.read();
      f.seek(2 * (1 << 20) + 5);
      f.write(b ^ 1);
    }
    assertThatThrownBy(() -> source.verify(copy)).hasMessageContaining("differs");

    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
    try (RandomAccessFile f = new RandomAccessFile(copy.toFile(), "rw")) {
      f.setLength(source.bytes() - 1);
    }
    assertThatThrownBy(() -> source.verify(copy)).hasMessageContaining("bytes, not");
    assertThatThrownBy(() -> source.verify(dir.resolve("missing")))
        .hasMessageContaining("-1 bytes");
  }

  @Test
  void theSameSeedWritesTheSameBytes() throws Exception {
    BenchData.writeRandom(dir.resolve("a"), 100_000, 7);
    BenchData.writeRandom(dir.resolve("b"), 100_000, 7);
    BenchData.writeRandom(dir.resolve("c"), 100_000, 8);
    assertThat(BenchData.sha256(dir.resolve("a"))).isEqualTo(BenchData.sha256(dir.resolve("b")));
    assertThat(BenchData.sha256(dir.resolve("a"))).isNotEqualTo(BenchData.sha256(dir.resolve("c")));
  }
}
