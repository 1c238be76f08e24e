package io.ferry.blocks.exchange;

import io.ferry.blocks.dataset.BlockProof;
import java.util.Optional;

/** A block sent to a peer: its address, its bytes and, for a leaf, its proof under the tree. */
public record Delivery(Address address, byte[] data, Optional<BlockProof> proof) {}
