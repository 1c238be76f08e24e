package io.ferry.merkledb;

import io.ferry.core.Bytes;
import io.ferry.merkledb.MerkleTestSupport.Op;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Provide;

/** The generators the MerkleDB property suites share, as jqwik providers they inherit. */
interface MerkleArbitraries {
  /** One batch: up to 12 puts and deletes. */
  @Provide
  default Arbitrary<List<Op>> batches() {
    return MerkleTestSupport.ops().list().ofMaxSize(12);
  }

  /** A range bound: a key, or (three times in ten) none. */
  @Provide
  default Arbitrary<Optional<Bytes>> bounds() {
    return MerkleTestSupport.keys().optional(0.7);
  }
}
