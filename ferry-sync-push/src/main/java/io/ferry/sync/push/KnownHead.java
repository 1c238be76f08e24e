package io.ferry.sync.push;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.merkledb.Revision;

/**
 * A state a subscriber holds, named by its height and root: pushes start after the highest one a
 * pusher can continue from. Immutable.
 */
public record KnownHead(long height, Hash root) {
  public KnownHead {
    if (height < 0) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a head height is >= 0: " + height);
    }
  }

  public static KnownHead of(Revision r) {
    return new KnownHead(r.height(), r.root());
  }
}
