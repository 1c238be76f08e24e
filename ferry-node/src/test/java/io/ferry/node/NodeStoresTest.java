package io.ferry.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.sync.proof.client.KvSyncStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the node and the CLI open their stores. */
class NodeStoresTest {
  @TempDir Path tmp;

  @Test
  void theSyncStagingStoreLeavesFsyncsToTheSync() {
    try (KvSyncStore staging = NodeStores.openStaging(tmp.resolve("sync-staging"))) {
      assertThat(staging.syncWrites()).isFalse();
      staging.sync(); // the one fsync the sync makes before its build
    }
  }
}
