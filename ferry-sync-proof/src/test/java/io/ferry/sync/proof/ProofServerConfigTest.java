package io.ferry.sync.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import org.junit.jupiter.api.Test;

class ProofServerConfigTest {

  @Test
  void theDefaultsAreAvalancheGosLimitsAndFourProofsPerPeer() {
    ProofServerConfig c = ProofServerConfig.defaults();
    assertThat(c.maxKeyLimit()).isEqualTo(2048).isEqualTo(Limits.DEFAULT_PROOF_KEY_LIMIT);
    assertThat(c.maxByteLimit()).isEqualTo(2 * 1024 * 1024 - 4 * 1024);
    assertThat(c.maxPerPeer()).isEqualTo(4);
    assertThat(c.maxPending()).isEqualTo(1024);
    assertThat(c.threads()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void maximaCannotExceedWhatAFrameCarries() {
    ProofServerConfig c = ProofServerConfig.defaults();
    assertThat(c.withMaxByteLimit(Limits.MAX_PROOF_BYTES).maxByteLimit())
        .isLessThan(Limits.MAX_FRAME_BYTES);
    for (Runnable bad :
        new Runnable[] {
          () -> c.withMaxByteLimit(Limits.MAX_PROOF_BYTES + 1),
          () -> c.withMaxByteLimit(0),
          () -> c.withMaxKeyLimit(Limits.MAX_PROOF_KEY_LIMIT + 1),
          () -> c.withMaxKeyLimit(0),
          () -> c.withThreads(0),
          () -> c.withMaxPerPeer(0),
          () -> c.withMaxPending(c.maxPerPeer() - 1)
        }) {
      assertThatThrownBy(bad::run)
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
  }

  @Test
  void aChangeProofInsideItsResponseLeavesRoomForTheFieldHeader() {
    assertThat(ProofService.wrappedLimit(Limits.DEFAULT_PROOF_BYTE_LIMIT))
        .isEqualTo(Limits.DEFAULT_PROOF_BYTE_LIMIT - 1 - 3);
    assertThat(ProofService.wrappedLimit(100)).isEqualTo(98);
    assertThat(ProofService.wrappedLimit(1)).isEqualTo(1);
  }
}
