package io.ferry.sync.proof.client;

import io.ferry.core.Hash;
import io.ferry.core.KeyRange;

/**
 * A key range the store holds exactly as it was in the revision with {@code root}.
 *
 * @param range inclusive at both ends
 * @param root the revision the range's contents match
 */
public record CompletedRange(KeyRange range, Hash root) {}
