package io.ferry.blocks.exchange;

import java.util.BitSet;
import java.util.Optional;

/**
 * A peer's answer to a want-have: whether it holds the block. For a whole tree, {@code leaves} says
 * which of its leaves (empty with {@code have}: every one).
 */
public record Presence(Address address, boolean have, Optional<BitSet> leaves) {
  public static Presence have(Address a) {
    return new Presence(a, true, Optional.empty());
  }

  public static Presence dontHave(Address a) {
    return new Presence(a, false, Optional.empty());
  }

  public static Presence leaves(Address.ByCid tree, BitSet held) {
    return new Presence(tree, true, Optional.of(held));
  }
}
