package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.core.Hash;
import io.ferry.core.Hex;
import io.ferry.merkledb.trie.EmptySource;
import io.ferry.merkledb.trie.NodeHasher;
import io.ferry.merkledb.trie.Path;
import io.ferry.merkledb.trie.TrieDelta;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every vector of merkledb.json (from AvalancheGo's merkledb and Firewood's compatibility test)
 * must hash to the reference value.
 */
class HashVectorsTest {
  private static JsonNode vectors() throws IOException {
    try (InputStream in = HashVectorsTest.class.getResourceAsStream("/merkledb.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  @TestFactory
  Stream<DynamicTest> nodeHashes() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : vectors().get("node_hashes")) {
      tests.add(
          DynamicTest.dynamicTest(
              v.get("name").asText(),
              () -> assertThat(nodeHash(v).toHex()).isEqualTo(v.get("hash").asText())));
    }
    assertThat(tests).isNotEmpty();
    return tests.stream();
  }

  private static Hash nodeHash(JsonNode n) {
    Hash[] ids = new Hash[16];
    int count = 0;
    for (JsonNode c : n.get("children")) {
      ids[c.get("index").asInt()] = nodeHash(c.get("node"));
      count++;
    }
    byte[] digest =
        n.get("value").isNull()
            ? null
            : NodeHasher.valueDigest(Hex.decode(n.get("value").asText()));
    Path key =
        Path.ofPacked(
            Hex.decode(n.get("key").asText()), n.get("key_bits").asLong(), BranchFactor.BF16);
    return NodeHasher.hash(ids, count, digest, key);
  }

  @TestFactory
  Stream<DynamicTest> trieRoots() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    int i = 0;
    for (JsonNode v : vectors().get("trie_roots")) {
      tests.add(
          DynamicTest.dynamicTest(
              "trie " + i++ + " with " + v.get("pairs").size() + " pairs",
              () -> {
                BranchFactor bf = BranchFactor.of(v.get("branch_factor").asInt());
                TrieDelta trie = new TrieDelta(new EmptySource(bf));
                for (JsonNode pair : v.get("pairs")) {
                  trie.put(
                      Path.ofKey(Hex.decode(pair.get(0).asText()), bf),
                      NodeHasher.valueDigest(Hex.decode(pair.get(1).asText())));
                }
                assertThat(trie.rootId().toHex()).isEqualTo(v.get("root").asText());
              }));
    }
    assertThat(tests).hasSize(8);
    return tests.stream();
  }
}
