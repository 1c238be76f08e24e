package io.ferry.sync.proof;

import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.util.OptionalLong;

/**
 * A validated proof request, its limits already clamped to the server's: what {@link
 * RequestDecoder} makes of a peer's {@code Request}. Immutable.
 */
sealed interface ProofQuery {
  KeyRange range();

  int keyLimit();

  int byteLimit();

  /** The key-values of {@code range} at {@code root}. */
  record Range(Hash root, KeyRange range, int keyLimit, int byteLimit) implements ProofQuery {}

  /**
   * The changes in {@code range} from {@code startRoot} to {@code endRoot}, with the heights of the
   * two roots when the client sent them (a server that lacks the end root tells by them whether it
   * may hold the change later).
   */
  record Change(
      Hash startRoot,
      Hash endRoot,
      KeyRange range,
      int keyLimit,
      int byteLimit,
      OptionalLong startHeight,
      OptionalLong endHeight)
      implements ProofQuery {}
}
