package io.ferry.gossip.value;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ValueRules asks its {@link SignatureCheck}, last and only for values that pass the rest. */
class SignatureCheckTest {
  private static final long NOW = 1_735_689_600_000L;
  private final NodeKey key = NodeKey.fromSeed(new byte[32]);
  private final ContactInfo contact = new ContactInfo("a:1", "", "ferry", "test");
  private final SignedValue good =
      SignedValue.sign(key, "ferry", ValueKind.CONTACT_INFO, NOW, Bytes.EMPTY, contact.encode());
  private final List<SignedValue> asked = new ArrayList<>();

  private ValueRules rules(boolean answer) {
    return new ValueRules("ferry", Duration.ofMinutes(15), Duration.ofSeconds(30))
        .withSignatureCheck(
            (value, network) -> {
              assertThat(network).isEqualTo("ferry");
              asked.add(value);
              return answer;
            });
  }

  @Test
  void theDefaultVerifiesWithEd25519() {
    assertThat(SignatureCheck.ED25519.verifies(good, "ferry")).isTrue();
    assertThat(SignatureCheck.ED25519.verifies(good, "other")).isFalse();
    ValueRules plain = new ValueRules("ferry", Duration.ofMinutes(15), Duration.ofSeconds(30));
    SignedValue forged =
        new SignedValue(
            good.origin(), good.kind(), NOW + 1, good.index(), good.payload(), good.signature());
    assertThat(plain.judge(good, NOW)).isEmpty();
    assertThat(plain.judge(forged, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.BAD_SIGNATURE);
  }

  @Test
  void theCheckGivenDecidesTheSignature() {
    assertThat(rules(false).judge(good, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.BAD_SIGNATURE);
    assertThat(rules(true).judge(good, NOW)).isEmpty();
    assertThat(asked).containsExactly(good, good);
  }

  @Test
  void aValueRefusedOnCheaperGroundsNeverReachesTheCheck() {
    SignedValue future =
        SignedValue.sign(
            key, "ferry", ValueKind.CONTACT_INFO, NOW + 60_000, Bytes.EMPTY, contact.encode());
    SignedValue broken =
        SignedValue.sign(key, "ferry", ValueKind.CONTACT_INFO, NOW, Bytes.EMPTY, Bytes.EMPTY);
    assertThat(rules(true).judge(future, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.FROM_FUTURE);
    assertThat(rules(true).judge(broken, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.BROKEN_RULE);
    assertThat(asked).isEmpty();
  }

  @Test
  void otherRulesKeepTheCheck() {
    ValueRules withHeads =
        rules(false).with(ValueKind.SIGNED_HEAD, v -> java.util.Optional.empty());
    assertThat(withHeads.judge(good, NOW).orElseThrow().reason())
        .isEqualTo(ValueRules.Reason.BAD_SIGNATURE);
    assertThat(asked).hasSize(1);
  }
}
