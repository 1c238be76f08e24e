package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ErrorCodeTest {
  @Test
  void wireValuesAreUniqueAndPositive() {
    int[] values = Arrays.stream(ErrorCode.values()).mapToInt(ErrorCode::wireValue).toArray();
    assertThat(values).doesNotHaveDuplicates();
    assertThat(Arrays.stream(values).min().orElseThrow()).isPositive();
  }

  @Test
  void fromWireRoundTrips() {
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(ErrorCode.fromWire(code.wireValue())).isEqualTo(code);
    }
  }

  @Test
  void wireValuesAreStable() {
    // Peers already speak these numbers: a change here is a protocol break, not a refactor.
    Map<ErrorCode, Integer> pinned =
        Map.ofEntries(
            Map.entry(ErrorCode.INVALID_ARGUMENT, 1),
            Map.entry(ErrorCode.INVALID_ENCODING, 2),
            Map.entry(ErrorCode.LIMIT_EXCEEDED, 3),
            Map.entry(ErrorCode.NOT_FOUND, 4),
            Map.entry(ErrorCode.CORRUPT_DATA, 5),
            Map.entry(ErrorCode.VERIFICATION_FAILED, 6),
            Map.entry(ErrorCode.INSUFFICIENT_HISTORY, 7),
            Map.entry(ErrorCode.UNAVAILABLE, 8),
            Map.entry(ErrorCode.TIMEOUT, 9),
            Map.entry(ErrorCode.PERMISSION_DENIED, 10),
            Map.entry(ErrorCode.IO_ERROR, 11),
            Map.entry(ErrorCode.ILLEGAL_STATE, 12),
            Map.entry(ErrorCode.INTERNAL, 13),
            Map.entry(ErrorCode.UNSUPPORTED, 14));
    assertThat(pinned).hasSameSizeAs(ErrorCode.values());
    pinned.forEach((code, wire) -> assertThat(code.wireValue()).as(code.name()).isEqualTo(wire));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 15, 99, 1000, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void unknownWireValueIsInternal(int value) {
    assertThat(ErrorCode.fromWire(value)).isEqualTo(ErrorCode.INTERNAL);
  }
}
