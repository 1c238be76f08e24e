package io.ferry.merkledb;

import io.ferry.core.Hash;

/** A committed state: its height (commits since the store was created) and its root. */
public record Revision(long height, Hash root) {}
