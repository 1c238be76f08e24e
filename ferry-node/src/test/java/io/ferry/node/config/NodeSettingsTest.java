package io.ferry.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeSettingsTest {
  @TempDir Path tmp;

  private static void assertCode(Runnable r, ErrorCode code, String message) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(FerryException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(message);
  }

  @Test
  void everyKeyOfTheFileIsRead() throws Exception {
    String producer = NodeKey.generate().id().toString();
    Path f = tmp.resolve("node.toml");
    Files.writeString(
        f,
        """
        data = "/srv/ferry"
        p2p = "127.0.0.1:9000"
        http = "off"
        peers = ["10.0.0.2:8900", "10.0.0.3:8900"]
        trust-producer = "%s"
        work-limit = 4
        head-interval-ms = 250
        egress-mib = 50

        [snapshots]
        full-interval = 10
        incremental-interval = 0
        keep-full = 3
        zstd-level = 5
        """
            .formatted(producer));
    NodeConfig c = NodeSettings.read(f).toConfig();
    assertThat(c.data()).isEqualTo(Path.of("/srv/ferry"));
    assertThat(c.p2p().getPort()).isEqualTo(9000);
    assertThat(c.http()).isEmpty();
    assertThat(c.peers()).hasSize(2);
    assertThat(c.trustProducer().orElseThrow().toString()).isEqualTo(producer);
    assertThat(c.follows()).isTrue();
    assertThat(c.produces()).isFalse();
    assertThat(c.workLimit()).isEqualTo(4);
    assertThat(c.headInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.egressBytesPerSecond()).isEqualTo(50L << 20);
    assertThat(c.snapshots().fullInterval()).isEqualTo(10);
    assertThat(c.snapshots().incrementalInterval()).isZero();
    assertThat(c.snapshots().keepFull()).isEqualTo(3);
    assertThat(c.snapshots().keepIncremental()).isEqualTo(4); // the default
    assertThat(c.snapshots().zstdLevel()).isEqualTo(5);
    assertThat(c.keyFile()).isEqualTo(Path.of("/srv/ferry/node.key"));
    assertThat(c.discovers()).isFalse();
  }

  @Test
  void discoverySettingsAreRead() throws Exception {
    Path f = tmp.resolve("node.toml");
    Files.writeString(
        f,
        """
        data = "/srv/ferry"
        entrypoints = ["10.0.0.2:8900", "[2001:db8::1]:8900"]
        max-outbound = 5
        max-inbound = 40
        advertise = "203.0.113.7"
        """);
    NodeConfig c = NodeSettings.read(f).toConfig();
    assertThat(c.discovers()).isTrue();
    assertThat(c.entrypoints())
        .extracting(a -> a.hostPort())
        .containsExactly("10.0.0.2:8900", "[2001:db8::1]:8900");
    assertThat(c.entrypoints()).allMatch(a -> a.expectedId().isEmpty());
    assertThat(c.maxOutbound()).isEqualTo(5);
    assertThat(c.maxInbound()).isEqualTo(40);
    assertThat(c.advertise()).contains("203.0.113.7");
  }

  @Test
  void discoveryDefaults() {
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    NodeConfig c = s.toConfig();
    assertThat(c.entrypoints()).isEmpty();
    assertThat(c.maxOutbound()).isEqualTo(8);
    assertThat(c.maxInbound()).isEqualTo(192);
    assertThat(c.advertise()).isEmpty();
  }

  @Test
  void advertiseTakesAHostOnly() {
    assertThat(NodeSettings.advertiseHost(" node1.example ")).isEqualTo("node1.example");
    assertThat(NodeSettings.advertiseHost("[2001:db8::1]")).isEqualTo("2001:db8::1");
    assertThat(NodeSettings.advertiseHost("2001:db8::1")).isEqualTo("2001:db8::1");
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    for (String bad : new String[] {"", "10.0.0.1:8900", "a b", "id@host", "0.0.0.0", "[::]"}) {
      s.advertise = bad;
      assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "advertise");
    }
  }

  @Test
  void capsAndEntrypointsAreChecked() {
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    s.maxOutbound = 0;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "max-outbound");
    s.maxOutbound = null;
    s.maxInbound = -1;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "max-inbound");
    s.maxInbound = null;
    s.entrypoints = java.util.List.of("nohost");
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "nohost");
  }

  @Test
  void defaultsWork() {
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    s.produce = true;
    NodeConfig c = s.toConfig();
    assertThat(c.p2p().getPort()).isEqualTo(NodeConfig.DEFAULT_P2P_PORT);
    assertThat(c.http().orElseThrow().getPort()).isEqualTo(8899);
    assertThat(c.producer().orElseThrow().updatesPerCommit()).isEqualTo(1000);
    assertThat(c.producer().orElseThrow().commitInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.snapshots().fullInterval()).isEqualTo(100);
  }

  @Test
  void bootstrapSettingsAreReadAndChecked() throws Exception {
    String producer = NodeKey.generate().id().toString();
    String v1 = NodeKey.generate().id().toString();
    String v2 = NodeKey.generate().id().toString();
    Path f = tmp.resolve("node.toml");
    Files.writeString(
        f,
        """
        data = "/srv/ferry"
        trust-producer = "%s"
        known-validators = ["%s", "%s"]
        min-agreement = 2
        bootstrap-wait = 12
        """
            .formatted(producer, v1, v2));
    NodeConfig c = NodeSettings.read(f).toConfig();
    assertThat(c.bootstrap().knownValidators())
        .extracting(Object::toString)
        .containsExactlyInAnyOrder(v1, v2);
    assertThat(c.bootstrap().minAgreement()).isEqualTo(2);
    assertThat(c.bootstrap().maxWait()).isEqualTo(Duration.ofSeconds(12));
    assertThat(c.bootstrap().enabled()).isTrue();
    assertThat(c.bootstrapDir()).isEqualTo(Path.of("/srv/ferry/bootstrap"));

    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    s.trustProducer = producer;
    NodeConfig d = s.toConfig();
    assertThat(d.bootstrap()).isEqualTo(NodeConfig.Bootstrap.DEFAULT);
    s.bootstrapWait = 0L;
    assertThat(s.toConfig().bootstrap().enabled()).isFalse();

    s.knownValidators = java.util.List.of(v1, v2);
    s.minAgreement = 3;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "min-agreement must be 1 to");
    s.minAgreement = 0;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "min-agreement must be 1 to");
    s.knownValidators = java.util.List.of("not-an-id");
    s.minAgreement = null;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "known-validator");
    s.knownValidators = null;
    s.minAgreement = 2;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "counts known validators");
    s.minAgreement = null;
    s.bootstrapWait = -1L;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "bootstrap-wait");
    // Known validators choose a follower's snapshot: a node that follows nothing has none.
    s.bootstrapWait = null;
    s.trustProducer = null;
    s.knownValidators = java.util.List.of(v1);
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "--trust-producer or --trust-root");
  }

  @Test
  void anUnknownKeyIsNamed() throws Exception {
    Path f = tmp.resolve("bad.toml");
    Files.writeString(f, "data = \"x\"\n[snapshots]\nfull-intervall = 3\n");
    assertCode(() -> NodeSettings.read(f), ErrorCode.INVALID_ARGUMENT, "full-intervall");
  }

  @Test
  void aWrongTypeIsNamed() throws Exception {
    Path f = tmp.resolve("bad.toml");
    Files.writeString(f, "data = \"x\"\nwork-limit = \"many\"\n");
    assertCode(() -> NodeSettings.read(f), ErrorCode.INVALID_ARGUMENT, "work-limit");
  }

  @Test
  void badValuesAreRefused() {
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    s.produce = true;
    s.trustRoot = "00".repeat(32);
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "producer trusts itself");
    s.trustRoot = null;
    s.p2p = "nohost";
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "HOST:PORT");
    s.p2p = "127.0.0.1:70000";
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "bad port");
    s.p2p = null;
    s.trustProducer = "not-an-id";
    s.produce = null;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "trust-producer");
    s.trustProducer = null;
    s.data = null;
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "--data");
  }

  @Test
  void theWriteApiIsOffByDefaultAndNeedsATokenBeyondLoopback() throws Exception {
    NodeSettings s = new NodeSettings();
    s.data = tmp.toString();
    assertThat(s.toConfig().api()).isEmpty();
    s.api = "127.0.0.1:8898";
    NodeConfig.Api loopback = s.toConfig().api().orElseThrow();
    assertThat(loopback.bind().getPort()).isEqualTo(NodeConfig.Api.DEFAULT_PORT);
    assertThat(loopback.tokenFile()).isEmpty();
    s.api = "[::1]:0";
    assertThat(s.toConfig().api()).isPresent();
    s.api = "0.0.0.0:8898";
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "--api-token-file");
    s.apiTokenFile = tmp.resolve("token").toString();
    assertThat(s.toConfig().api().orElseThrow().tokenFile()).contains(tmp.resolve("token"));
    s.api = "off";
    assertCode(s::toConfig, ErrorCode.INVALID_ARGUMENT, "add api HOST:PORT");

    Path f = tmp.resolve("api.toml");
    Files.writeString(
        f,
        """
        data = "/srv/ferry"
        api = "0.0.0.0:8898"
        api-token-file = "/etc/ferry/api-token"
        """);
    NodeConfig.Api fromFile = NodeSettings.read(f).toConfig().api().orElseThrow();
    assertThat(fromFile.bind().getAddress().isAnyLocalAddress()).isTrue();
    assertThat(fromFile.tokenFile()).contains(Path.of("/etc/ferry/api-token"));
  }
}
