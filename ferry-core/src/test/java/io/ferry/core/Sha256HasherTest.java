package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class Sha256HasherTest {
  private final Hasher hasher = Sha256Hasher.INSTANCE;

  @Test
  void allInputFormsAgree() {
    byte[] data = "the quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);
    Hash expected = hasher.hash(data);

    byte[] padded = new byte[data.length + 10];
    System.arraycopy(data, 0, padded, 3, data.length);
    padded[0] = 1;
    padded[padded.length - 1] = 1;
    assertThat(hasher.hash(padded, 3, data.length)).isEqualTo(expected);
    assertThat(hasher.hash(data, 0, data.length)).isEqualTo(expected);

    ByteBuffer heap = ByteBuffer.wrap(padded, 3, data.length);
    assertThat(hasher.hash(heap)).isEqualTo(expected);
    assertThat(heap.position()).isEqualTo(heap.limit()).isEqualTo(3 + data.length);

    ByteBuffer direct = ByteBuffer.allocateDirect(data.length);
    direct.put(data).flip();
    assertThat(hasher.hash(direct)).isEqualTo(expected);
    assertThat(direct.hasRemaining()).isFalse();

    assertThat(expected).isEqualTo(Hash.of(Sha256Hasher.newDigest().digest(data)));
  }

  @Test
  void subrangeHashesOnlyThatRange() {
    byte[] abc = "xxabcxx".getBytes(StandardCharsets.US_ASCII);
    assertThat(hasher.hash(abc, 2, 3).toHex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(hasher.hash(abc, 0, 0)).isEqualTo(hasher.hash(new byte[0]));
    assertThat(hasher.hash(ByteBuffer.allocate(0))).isEqualTo(hasher.hash(new byte[0]));
  }

  @Test
  void threadDigestIsResetBetweenUses() {
    MessageDigest d = Sha256Hasher.threadDigest();
    d.update((byte) 1); // left dirty on purpose
    assertThat(hasher.hash(new byte[0]).toHex())
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }

  @Test
  void parallelHashingGivesTheSameResults() {
    SplittableRandom random = new SplittableRandom(42);
    List<byte[]> inputs =
        IntStream.range(0, 2000)
            .mapToObj(
                i -> {
                  byte[] b = new byte[random.nextInt(0, 300)];
                  random.nextBytes(b);
                  return b;
                })
            .toList();
    List<Hash> expected =
        inputs.stream().map(b -> Hash.of(Sha256Hasher.newDigest().digest(b))).toList();
    for (int round = 0; round < 3; round++) {
      List<Hash> parallel = inputs.parallelStream().map(hasher::hash).toList();
      assertThat(parallel).isEqualTo(expected);
      List<Hash> parallelBuffers =
          inputs.parallelStream().map(b -> hasher.hash(ByteBuffer.wrap(b))).toList();
      assertThat(parallelBuffers).isEqualTo(expected);
    }
  }
}
