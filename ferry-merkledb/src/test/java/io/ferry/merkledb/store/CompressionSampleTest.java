package io.ferry.merkledb.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.SortedBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sample says "compress" where RocksDB would keep compressed blocks (they save an eighth or
 * more) and "do not" where every block would be discarded, and gives back what it held, in order.
 */
class CompressionSampleTest {
  private static final int BLOCK = 16 * 1024;

  /** Fills a sample with sorted 32-byte random keys and the given values until it is full. */
  private static CompressionSample filled(java.util.function.IntFunction<byte[]> value) {
    CompressionSample sample = new CompressionSample(BLOCK);
    Random r = new Random(5);
    byte[][] keys = new byte[4096][32];
    for (byte[] k : keys) {
      r.nextBytes(k);
    }
    java.util.Arrays.sort(keys, java.util.Arrays::compareUnsigned);
    for (int i = 0; !sample.add(keys[i], value.apply(i)); i++) {}
    return sample;
  }

  @Test
  void randomValuesDoNotCompress() {
    Random r = new Random(1);
    CompressionSample sample =
        filled(
            i -> {
              byte[] v = new byte[100];
              r.nextBytes(v);
              return v;
            });
    assertThat(sample.compresses()).isFalse();
  }

  @Test
  void textValuesCompress() {
    CompressionSample sample =
        filled(
            i ->
                ("{\"account\":" + i + ",\"balance\":" + (i * 7) + "}")
                    .getBytes(StandardCharsets.UTF_8));
    assertThat(sample.compresses()).isTrue();
  }

  @Test
  void trieNodeRecordsCompress() {
    // The nodes of a trie over random keys and values, in the order a bulk load writes them: one
    // byte per 4-bit token in the storage keys, hashes in the records. LZ4 saves about a fifth on
    // their blocks, so they stay compressed.
    Random r = new Random(2);
    byte[][] keys = new byte[4096][32];
    for (byte[] k : keys) {
      r.nextBytes(k);
    }
    java.util.Arrays.sort(keys, java.util.Arrays::compareUnsigned);
    List<byte[][]> nodes = new ArrayList<>();
    SortedBuilder trie =
        new SortedBuilder(
            BranchFactor.BF16,
            n -> nodes.add(new byte[][] {n.key().storageKey(), NodeCodec.encode(n)}));
    for (byte[] k : keys) {
      byte[] value = new byte[100];
      r.nextBytes(value);
      trie.add(Path.ofKey(k, BranchFactor.BF16), NodeHasher.valueDigest(value));
    }
    trie.finish();
    CompressionSample sample = new CompressionSample(BLOCK);
    boolean full = false;
    for (int i = 0; !full; i++) {
      full = sample.add(nodes.get(i)[0], nodes.get(i)[1]);
    }
    assertThat(sample.compresses()).isTrue();
  }

  @Test
  void anEmptySampleDoesNotCompressAndReplaysNothing() {
    CompressionSample sample = new CompressionSample(BLOCK);
    assertThat(sample.isEmpty()).isTrue();
    assertThat(sample.compresses()).isFalse();
    List<byte[]> out = new ArrayList<>();
    sample.replay((k, v) -> out.add(k));
    assertThat(out).isEmpty();
  }

  @Test
  void replayGivesBackEveryEntryInOrderAndEmptiesTheSample() {
    CompressionSample sample = new CompressionSample(BLOCK);
    for (int i = 0; i < 10; i++) {
      assertThat(sample.add(new byte[] {(byte) i}, new byte[] {(byte) (100 + i)})).isFalse();
    }
    List<String> out = new ArrayList<>();
    sample.replay((k, v) -> out.add(k[0] + "=" + v[0]));
    assertThat(out)
        .containsExactly(
            "0=100", "1=101", "2=102", "3=103", "4=104", "5=105", "6=106", "7=107", "8=108",
            "9=109");
    assertThat(sample.isEmpty()).isTrue();
  }

  @Test
  void theSampleIsFullAfterAFewBlocks() {
    CompressionSample sample = new CompressionSample(BLOCK);
    int added = 0;
    while (!sample.add(new byte[32], new byte[100])) {
      added++;
    }
    assertThat((added + 1) * 132L).isGreaterThanOrEqualTo(CompressionSample.SAMPLE_BYTES);
    assertThat(added * 132L).isLessThan(CompressionSample.SAMPLE_BYTES);
  }
}
