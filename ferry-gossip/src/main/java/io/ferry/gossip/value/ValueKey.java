package io.ferry.gossip.value;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;

/**
 * Which slot of the gossip store a value fills: one per origin and kind (and index, for indexed
 * kinds). Of two values for one key, the newer replaces the older.
 */
public record ValueKey(NodeId origin, ValueKind kind, Bytes index) {}
