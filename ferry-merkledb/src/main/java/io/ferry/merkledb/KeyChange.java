package io.ferry.merkledb;

import io.ferry.core.Bytes;
import java.util.Optional;

/** A key's new state in a change proof: its new value, or empty if it was deleted. Immutable. */
public record KeyChange(Bytes key, Optional<Bytes> value) {
  public static KeyChange put(Bytes key, Bytes value) {
    return new KeyChange(key, Optional.of(value));
  }

  public static KeyChange delete(Bytes key) {
    return new KeyChange(key, Optional.empty());
  }

  public boolean isDelete() {
    return value.isEmpty();
  }
}
