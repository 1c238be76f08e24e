package io.ferry.node.follow;

import io.ferry.core.Hash;

/** A state a follower may sync to: a trusted head's height and root. */
public record Head(long height, Hash root) {}
