package io.ferry.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LimitsTest {
  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;

  @Test
  void namedValues() {
    assertThat(Limits.MAX_SNAPSHOTS_PER_LISTING).isEqualTo(10);
    // CometBFT's statesync/reactor.go: snapshotMsgSize = int(4e6), chunkMsgSize = int(16e6).
    assertThat(Limits.MAX_SNAPSHOT_MESSAGE_BYTES).isEqualTo(4_000_000);
    assertThat(Limits.MAX_CHUNK_MESSAGE_BYTES).isEqualTo(16_000_000);
    assertThat(Limits.MAX_SNAPSHOT_METADATA_BYTES).isEqualTo(4_000_000 - 4 * KIB);
    assertThat(Limits.MAX_CHUNK_BYTES).isEqualTo(15 * MIB);
    assertThat(Limits.MAX_FORMAT_1_CHUNK_BYTES).isEqualTo(16 * MIB);
    assertThat(Limits.MAX_HEADS_PER_SAMPLE).isEqualTo(100);
    assertThat(Limits.MAX_OPEN_SUBSCRIPTIONS).isEqualTo(128);
    assertThat(Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND).isEqualTo(20);
    assertThat(Limits.MAX_GOSSIP_MESSAGE_BURST)
        .isGreaterThanOrEqualTo(Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND);
    assertThat(Limits.MAX_GOSSIP_MESSAGE_BYTES).isEqualTo(64 * KIB);
    assertThat(Limits.MAX_GOSSIP_PAYLOAD_BYTES).isEqualTo(2 * KIB);
    assertThat(Limits.MAX_GOSSIP_INDEX_BYTES).isEqualTo(128);
    assertThat(Limits.MAX_GOSSIP_VALUES_PER_MESSAGE).isEqualTo(256);
    assertThat(Limits.MAX_GOSSIP_VALUES).isEqualTo(65_536);
    assertThat(Limits.MAX_GOSSIP_PRUNE_ORIGINS).isEqualTo(64);
    assertThat(Limits.MAX_BLOOM_FILTER_BYTES).isEqualTo(8 * KIB);
    assertThat(Limits.MAX_BLOOM_HASHES).isEqualTo(16);
    assertThat(Limits.MAX_NETWORK_NAME_BYTES).isEqualTo(64);
    assertThat(Limits.MAX_CONTACT_FIELD_CHARS).isEqualTo(255);
    assertThat(Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES).isEqualTo(25);
    assertThat(Limits.DEFAULT_PROOF_KEY_LIMIT).isEqualTo(2048);
    assertThat(Limits.DEFAULT_PROOF_BYTE_LIMIT).isEqualTo(2 * MIB - 4 * KIB);
  }

  @Test
  void snapshotMessagesHoldTheirPartsWithRoomForTheRest() {
    assertThat(Limits.MAX_SNAPSHOT_MESSAGE_BYTES - Limits.MAX_SNAPSHOT_METADATA_BYTES)
        .isGreaterThanOrEqualTo(4 * KIB);
    assertThat(Limits.MAX_CHUNK_MESSAGE_BYTES - Limits.MAX_CHUNK_FRAME_BYTES)
        .isGreaterThanOrEqualTo(4 * KIB);
    // The worst frame of the largest chunk: zstd's compressBound (size + size / 256 + a little
    // for sizes under 128 KiB) of the payload with its tar header, padding and the tar's end.
    long framed = Limits.MAX_CHUNK_BYTES + 512 + 511 + 1024;
    long worstFrame = framed + (framed >> 8) + 1024;
    assertThat(worstFrame).isLessThanOrEqualTo(Limits.MAX_CHUNK_FRAME_BYTES);
    // The manifest's frame is no larger than a chunk's.
    assertThat(Limits.MAX_SNAPSHOT_METADATA_BYTES).isLessThan(Limits.MAX_CHUNK_BYTES);
    assertThat(Limits.MAX_FORMAT_1_CHUNK_BYTES).isGreaterThanOrEqualTo(Limits.MAX_CHUNK_BYTES);
  }

  @Test
  void aFrameHoldsTheLargestMessages() {
    assertThat(Limits.MAX_FRAME_BYTES).isGreaterThan(Limits.MAX_CHUNK_BYTES);
    assertThat(Limits.MAX_FRAME_BYTES)
        .isGreaterThanOrEqualTo(Limits.MAX_CHUNK_MESSAGE_BYTES + 64 * KIB);
    assertThat(Limits.MAX_FRAME_BYTES)
        .isGreaterThanOrEqualTo(Limits.MAX_SNAPSHOT_MESSAGE_BYTES + 64 * KIB);
    assertThat(Limits.MAX_FRAME_BYTES).isGreaterThan(Limits.MAX_SNAPSHOT_METADATA_BYTES);
    assertThat(Limits.MAX_PROOF_BYTES).isLessThanOrEqualTo(Limits.MAX_FRAME_BYTES);
    assertThat(Limits.DEFAULT_PROOF_BYTE_LIMIT).isLessThanOrEqualTo(Limits.MAX_PROOF_BYTES);
  }

  @Test
  void aGossipMessageHoldsItsLargestParts() {
    // A value: origin, signature, wallclock, kind and tags are well under 256 bytes.
    int largestValue = Limits.MAX_GOSSIP_PAYLOAD_BYTES + Limits.MAX_GOSSIP_INDEX_BYTES + 256;
    assertThat(Limits.MAX_GOSSIP_MESSAGE_BYTES).isGreaterThan(4 * largestValue);
    // A pull request: a full Bloom filter, the requester's contact info and the network name.
    assertThat(Limits.MAX_GOSSIP_MESSAGE_BYTES)
        .isGreaterThan(
            Limits.MAX_BLOOM_FILTER_BYTES + largestValue + Limits.MAX_NETWORK_NAME_BYTES + 64);
    assertThat(Limits.MAX_GOSSIP_MESSAGE_BYTES).isLessThan(Limits.MAX_FRAME_BYTES);
    // The signed bytes of a value give the network name's length in one byte.
    assertThat(Limits.MAX_NETWORK_NAME_BYTES).isLessThanOrEqualTo(255);
    // A contact info's four fields fit in one payload.
    assertThat(4 * Limits.MAX_CONTACT_FIELD_CHARS).isLessThan(Limits.MAX_GOSSIP_PAYLOAD_BYTES);
    // A prune of the most origins: 34 bytes each.
    assertThat(Limits.MAX_GOSSIP_PRUNE_ORIGINS * 34).isLessThan(Limits.MAX_GOSSIP_MESSAGE_BYTES);
    assertThat(Limits.MAX_GOSSIP_VALUES_PER_MESSAGE).isLessThanOrEqualTo(Limits.MAX_GOSSIP_VALUES);
  }

  @Test
  void archiveFramingAllowsATarHeaderAndPaddingButNoFiller() {
    // A 512-byte header and up to 511 bytes of padding fit; a chunk's worth of filler does not.
    assertThat(Limits.MAX_ARCHIVE_ENTRY_OVERHEAD_BYTES).isEqualTo(4 * KIB).isGreaterThan(1024);
    // The end: two 512-byte records and padding to a 10,240-byte block.
    assertThat(Limits.MAX_ARCHIVE_END_BYTES).isEqualTo(64 * KIB).isGreaterThan(1024 + 10240);
    assertThat(Limits.MAX_ARCHIVE_END_BYTES).isLessThan(Limits.MAX_CHUNK_BYTES);
  }

  @Test
  void oneKeyValueFitsInADefaultProof() {
    assertThat(Limits.MAX_VALUE_BYTES).isLessThan(Limits.DEFAULT_PROOF_BYTE_LIMIT);
    assertThat(Limits.MAX_KEY_BYTES + Limits.MAX_VALUE_BYTES)
        .isLessThan(Limits.DEFAULT_PROOF_BYTE_LIMIT);
    assertThat(Limits.MAX_KEY_BYTES).isLessThan(Limits.MAX_VALUE_BYTES);
  }

  @Test
  void aPushFitsInAFrame() {
    assertThat(Limits.MAX_PUSH_MESSAGE_BYTES).isLessThan(Limits.MAX_FRAME_BYTES);
  }

  @Test
  void aBlockExchangeMessageFitsInAFrameAndCarriesAFullBlock() {
    assertThat(Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES).isLessThan(Limits.MAX_FRAME_BYTES);
    // Eight of the largest blocks, each with a full-depth proof, still fit one message.
    long proof = (long) Limits.MAX_BLOCK_PROOF_DEPTH * (32 + 2) + 64;
    assertThat(8L * (Limits.MAX_BLOCK_BYTES + proof + 64))
        .isLessThan(Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES);
    assertThat(1L << Limits.MAX_BLOCK_PROOF_DEPTH)
        .isGreaterThanOrEqualTo(Limits.MAX_DATASET_BLOCKS);
    assertThat(Limits.MAX_MANIFEST_BYTES)
        .isGreaterThan(4 * Limits.MAX_MANIFEST_TEXT_CHARS + 4 * 64 + 64);
  }

  @Test
  void proofKeyLimits() {
    assertThat(Limits.DEFAULT_PROOF_KEY_LIMIT).isPositive();
    assertThat(Limits.DEFAULT_PROOF_KEY_LIMIT).isLessThanOrEqualTo(Limits.MAX_PROOF_KEY_LIMIT);
  }

  @Test
  void everyLimitIsPositive() {
    int[] all = {
      Limits.MAX_SNAPSHOTS_PER_LISTING,
      Limits.MAX_SNAPSHOT_METADATA_BYTES,
      Limits.MAX_CHUNK_BYTES,
      Limits.MAX_SNAPSHOT_MESSAGE_BYTES,
      Limits.MAX_CHUNK_MESSAGE_BYTES,
      Limits.MAX_CHUNK_FRAME_BYTES,
      Limits.MAX_FORMAT_1_CHUNK_BYTES,
      Limits.MAX_HEADS_PER_SAMPLE,
      Limits.MAX_OPEN_SUBSCRIPTIONS,
      Limits.MAX_SUBSCRIPTION_SECONDS,
      Limits.MAX_PUSH_MESSAGE_BYTES,
      Limits.MAX_COMMITS_PER_PUSH,
      Limits.MAX_BLOCK_BYTES,
      Limits.MAX_DATASET_BLOCKS,
      Limits.MAX_MANIFEST_BYTES,
      Limits.MAX_MANIFEST_TEXT_CHARS,
      Limits.MAX_BLOCK_EXCHANGE_MESSAGE_BYTES,
      Limits.MAX_BLOCKS_PER_MESSAGE,
      Limits.MAX_WANT_LIST_ENTRIES,
      Limits.MAX_PRESENCES_PER_MESSAGE,
      Limits.MAX_BLOCK_PROOF_DEPTH,
      Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND,
      Limits.MAX_GOSSIP_MESSAGE_BURST,
      Limits.MAX_GOSSIP_MESSAGE_BYTES,
      Limits.MAX_GOSSIP_PAYLOAD_BYTES,
      Limits.MAX_GOSSIP_INDEX_BYTES,
      Limits.MAX_GOSSIP_VALUES_PER_MESSAGE,
      Limits.MAX_GOSSIP_VALUES,
      Limits.MAX_GOSSIP_PRUNE_ORIGINS,
      Limits.MAX_BLOOM_FILTER_BYTES,
      Limits.MAX_BLOOM_HASHES,
      Limits.MAX_NETWORK_NAME_BYTES,
      Limits.MAX_CONTACT_FIELD_CHARS,
      Limits.MAX_INCREMENTAL_SNAPSHOT_HASHES,
      Limits.MAX_KEY_BYTES,
      Limits.MAX_VALUE_BYTES,
      Limits.DEFAULT_PROOF_KEY_LIMIT,
      Limits.MAX_PROOF_KEY_LIMIT,
      Limits.DEFAULT_PROOF_BYTE_LIMIT,
      Limits.MAX_PROOF_BYTES,
      Limits.MAX_FRAME_BYTES
    };
    for (int v : all) {
      assertThat(v).isPositive();
    }
  }
}
