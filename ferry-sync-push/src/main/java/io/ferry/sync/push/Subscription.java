package io.ferry.sync.push;

import java.util.List;

/**
 * One peer's open subscription (Aranya's {@code Subscription}): it closes when the clock passes
 * {@code closeTimeNanos}, and takes pushes until {@code remainingBytes} are spent. Immutable: the
 * table replaces it as pushes are sent.
 *
 * @param closeTimeNanos the clock's nanos at which it closes: when it was opened or last renewed,
 *     plus the window
 * @param remainingBytes bytes of pushes still to send
 * @param knownHeads the heads the subscriber holds, as it said or as the last push left it
 */
public record Subscription(long closeTimeNanos, long remainingBytes, List<KnownHead> knownHeads) {
  public Subscription {
    knownHeads = List.copyOf(knownHeads);
  }

  /** Whether it has closed by {@code nowNanos}: the time is past its close time. */
  public boolean expired(long nowNanos) {
    return nowNanos - closeTimeNanos > 0;
  }

  /** The highest head the subscriber holds, if it named any. */
  public java.util.Optional<KnownHead> highest() {
    KnownHead best = null;
    for (KnownHead h : knownHeads) {
      if (best == null || h.height() > best.height()) {
        best = h;
      }
    }
    return java.util.Optional.ofNullable(best);
  }
}
