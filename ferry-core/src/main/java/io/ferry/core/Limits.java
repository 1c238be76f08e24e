package io.ferry.core;

/**
 * Every protocol limit in one place. A message over a limit is refused before its bytes are
 * buffered, and the refusal names the limit. Values follow the designs Ferry unites (CometBFT state
 * sync, AvalancheGo x/sync, Aranya push sync) so that behaviour matches what operators of those
 * systems expect.
 */
public final class Limits {
  private Limits() {}

  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;

  /**
   * Snapshots a peer lists in one answer (CometBFT's recentSnapshots). Reserved for the snapshot
   * state sync of step 10 (its snapshot listings); nothing uses it yet.
   */
  public static final int MAX_SNAPSHOTS_PER_LISTING = 10;

  /**
   * Bytes of one message of a snapshot listing: CometBFT's {@code snapshotMsgSize}, {@code
   * int(4e6)} in its statesync/reactor.go, decimal bytes (not 4 MiB). Reserved for the snapshot
   * state sync of step 10, which refuses a larger one before buffering it.
   */
  public static final int MAX_SNAPSHOT_MESSAGE_BYTES = 4_000_000;

  /**
   * Bytes of one chunk message: CometBFT's {@code chunkMsgSize}, {@code int(16e6)} in its
   * statesync/reactor.go, decimal bytes (not 16 MiB). Reserved for the snapshot state sync of step
   * 10; an archive's chunk frame ({@link #MAX_CHUNK_FRAME_BYTES}) fits in one with room to spare.
   */
  public static final int MAX_CHUNK_MESSAGE_BYTES = 16_000_000;

  /**
   * Bytes of one snapshot's metadata, its manifest included: a snapshot listing message ({@link
   * #MAX_SNAPSHOT_MESSAGE_BYTES}) less 4 KiB for the rest of that message (height, format, hash).
   * Bounds the archives' manifests now, and the metadata of step 10's snapshot listings.
   */
  public static final int MAX_SNAPSHOT_METADATA_BYTES = MAX_SNAPSHOT_MESSAGE_BYTES - 4 * KIB;

  /**
   * Uncompressed bytes of one snapshot chunk's payload. 15 MiB, so that the compressed frame of
   * such a chunk at worst (incompressible data: zstd's bound is about size + size / 256, plus its
   * tar framing) stays within {@link #MAX_CHUNK_FRAME_BYTES} and so within one chunk message.
   */
  public static final int MAX_CHUNK_BYTES = 15 * MIB;

  /**
   * Bytes of one compressed zstd frame of an archive (format 2: one frame per chunk, and frame 0
   * for the manifest): a chunk message ({@link #MAX_CHUNK_MESSAGE_BYTES}) less 64 KiB for the rest
   * of that message. The writer refuses to write a larger frame and readers to read one.
   */
  public static final int MAX_CHUNK_FRAME_BYTES = MAX_CHUNK_MESSAGE_BYTES - 64 * KIB;

  /**
   * Uncompressed bytes of one chunk of a format-1 archive (one zstd frame for the whole archive):
   * the chunk limit before chunks became frames. Such archives stay readable.
   */
  public static final int MAX_FORMAT_1_CHUNK_BYTES = 16 * MIB;

  /**
   * Decompressed bytes of tar framing an archive may hold around one entry's payload (its header,
   * padding, an extended header) beyond the size its manifest gives. A reader refuses an archive
   * that decompresses to more, so well-compressing filler cannot make it decompress without bound.
   */
  public static final int MAX_ARCHIVE_ENTRY_OVERHEAD_BYTES = 4 * KIB;

  /** Decompressed bytes an archive may hold after its last entry (the tar's end and padding). */
  public static final int MAX_ARCHIVE_END_BYTES = 64 * KIB;

  /** Heads in one sample: the known heads a push-sync subscription carries (Aranya's 100). */
  public static final int MAX_HEADS_PER_SAMPLE = 100;

  /**
   * Gossip messages taken from one peer per second, on average; the rest are dropped before they
   * are decoded. A peer relays each new head once, so an honest one stays far below this.
   */
  public static final int MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND = 20;

  /** Gossip messages one peer may send at once above that rate (the depth of its token bucket). */
  public static final int MAX_GOSSIP_MESSAGE_BURST = 40;

  /**
   * Bytes of one gossip message (a push, a prune, a pull request or its answer). Larger ones are
   * not decoded.
   */
  public static final int MAX_GOSSIP_MESSAGE_BYTES = 64 * KIB;

  /** Bytes of one gossip value's payload; a contact info or a signed head is about 150. */
  public static final int MAX_GOSSIP_PAYLOAD_BYTES = 2 * KIB;

  /** Bytes of one gossip value's index (a provider record's key, step 12). */
  public static final int MAX_GOSSIP_INDEX_BYTES = 128;

  /**
   * New values of one origin a node takes by push per second, on average (a burst of twice that):
   * past it, pushed values of that origin are dropped before their signature is checked and come
   * later by pull, so a chatty origin cannot make every node verify and relay without bound.
   */
  public static final int MAX_GOSSIP_VALUES_PER_ORIGIN_PER_SECOND = 20;

  /** Values in one push or pull answer. */
  public static final int MAX_GOSSIP_VALUES_PER_MESSAGE = 256;

  /**
   * Values one node's gossip store holds; past it, values of origins it does not hold are refused.
   */
  public static final int MAX_GOSSIP_VALUES = 65_536;

  /**
   * Origins one gossip prune names; a node with more to prune names the rest when their values come
   * again, and a prune naming more is malformed.
   */
  public static final int MAX_GOSSIP_PRUNE_ORIGINS = 64;

  /** Bytes of a pull request's Bloom filter (Agave's is about the same, 1 KiB per UDP packet). */
  public static final int MAX_BLOOM_FILTER_BYTES = 8 * KIB;

  /** Hash functions of a pull request's Bloom filter. */
  public static final int MAX_BLOOM_HASHES = 16;

  /** Bytes of a network name (`ferry node --network`), UTF-8. */
  public static final int MAX_NETWORK_NAME_BYTES = 64;

  /** Characters of each text field of a contact info (an address, a network name, a version). */
  public static final int MAX_CONTACT_FIELD_CHARS = 255;

  /**
   * Incremental snapshot hashes in one {@code SnapshotHashes} value, all on its one full snapshot
   * (Agave's MAX_INCREMENTAL_SNAPSHOT_HASHES). A node advertises only its newest incremental today;
   * a value from a peer with more is refused.
   */
  public static final int MAX_INCREMENTAL_SNAPSHOT_HASHES = 25;

  /**
   * Chunks in one state-sync snapshot; a snapshot advertised with more is ignored. At the default 4
   * MiB chunk that is 400 GB of state, and it bounds what a syncer tracks per snapshot.
   */
  public static final int MAX_SNAPSHOT_CHUNKS = 100_000;

  /** Bytes of a state-sync snapshot's hash (the application's; SHA-256 for MerkleDB). */
  public static final int MAX_SNAPSHOT_HASH_BYTES = 64;

  /**
   * Push-sync subscriptions a node keeps open for its peers at once (Aranya's
   * MAXIMUM_OPEN_REQUESTS); one more is refused with MaximumSubscriptionsExceeded.
   */
  public static final int MAX_OPEN_SUBSCRIPTIONS = 128;

  /** Seconds a push-sync subscription may stay open before it must be renewed. */
  public static final int MAX_SUBSCRIPTION_SECONDS = 3600;

  /**
   * Bytes of one push-sync message. A commit whose encoding does not fit is not pushed: its
   * subscribers miss it and poll (change proofs), which pages however large a commit is.
   */
  public static final int MAX_PUSH_MESSAGE_BYTES = 8 * MIB;

  /** Commits in one push: a subscriber far behind is brought forward this many at a time. */
  public static final int MAX_COMMITS_PER_PUSH = 64;

  /** Bytes of one key in the state. */
  public static final int MAX_KEY_BYTES = 64 * KIB;

  /** Bytes of one value in the state; must fit in a proof of the default byte limit. */
  public static final int MAX_VALUE_BYTES = MIB;

  /**
   * Puts and deletes in one commit the write API takes ({@code POST /v1/commit}); a request with
   * more is refused while it is parsed, before the rest is decoded.
   */
  public static final int MAX_COMMIT_OPERATIONS = 10_000;

  /**
   * Bytes of keys and values in one commit the write API takes: a push message ({@link
   * #MAX_PUSH_MESSAGE_BYTES}) less 512 KiB, room for the framing of {@link #MAX_COMMIT_OPERATIONS}
   * operations and the signed head, so that an application's commit always travels in one push.
   */
  public static final int MAX_COMMIT_BYTES = MAX_PUSH_MESSAGE_BYTES - 512 * KIB;

  /**
   * Bytes of one write API request body: a commit of {@link #MAX_COMMIT_BYTES} written as JSON hex
   * (twice its bytes) and the punctuation around its operations. A request announcing more is
   * refused (413) before any of its body is read.
   */
  public static final int MAX_API_BODY_BYTES = 2 * MAX_COMMIT_BYTES + MIB;

  /**
   * Bytes of one verified-read answer ({@code GET /v1/state/KEY}) a client reads: a value of {@link
   * #MAX_VALUE_BYTES} in hex twice (on its own and inside its proof), the proof's path and the
   * signed head, with room to spare. A longer answer is refused unread.
   */
  public static final int MAX_STATE_ANSWER_BYTES = 8 * MIB;

  /** Bytes of one block of a dataset in the block exchange (Codex's default is 64 KiB). */
  public static final int MAX_BLOCK_BYTES = MIB;

  /**
   * Blocks in one dataset, parity included: 256 GiB of 64 KiB blocks. A node building or checking a
   * tree holds its leaf digests in memory (128 MiB at this bound).
   */
  public static final int MAX_DATASET_BLOCKS = 1 << 22;

  /** Bytes of one encoded manifest block (its file name and mime type are the variable part). */
  public static final int MAX_MANIFEST_BYTES = 4 * KIB;

  /** Characters of a dataset's file name or mime type in its manifest. */
  public static final int MAX_MANIFEST_TEXT_CHARS = 255;

  /**
   * Bytes of one block-exchange message: 8 blocks of {@link #MAX_BLOCK_BYTES} with their proofs, or
   * a want-list and presences. A message that says more is refused before it is parsed.
   */
  public static final int MAX_BLOCK_EXCHANGE_MESSAGE_BYTES = 8 * MIB + 256 * KIB;

  /** Blocks delivered in one block-exchange message. */
  public static final int MAX_BLOCKS_PER_MESSAGE = 64;

  /** Entries in one want-list message; the want-list a peer keeps for us is bounded the same. */
  public static final int MAX_WANT_LIST_ENTRIES = 4096;

  /** Presences in one block-exchange message. */
  public static final int MAX_PRESENCES_PER_MESSAGE = 4096;

  /** Sibling hashes in one block's proof: a tree of at most 2^32 leaves. */
  public static final int MAX_BLOCK_PROOF_DEPTH = 32;

  /** Key-values a proof server returns by default (AvalancheGo's maxKeyValuesLimit). */
  public static final int DEFAULT_PROOF_KEY_LIMIT = 2048;

  /** Upper bound of the key limit a proof server accepts from a peer. */
  public static final int MAX_PROOF_KEY_LIMIT = 2048;

  /** Bytes of one proof response by default: 2 MiB less 4 KiB of envelope headroom. */
  public static final int DEFAULT_PROOF_BYTE_LIMIT = 2 * MIB - 4 * KIB;

  /** Upper bound of a proof response; always fits a frame. */
  public static final int MAX_PROOF_BYTES = 16 * MIB;

  /**
   * Bytes of one transport frame: the largest message (a proof of {@link #MAX_PROOF_BYTES}, which
   * is larger than a chunk message of {@link #MAX_CHUNK_MESSAGE_BYTES}) plus room for the envelope
   * around it. A frame whose length prefix says more is refused before any of it is buffered.
   */
  public static final int MAX_FRAME_BYTES = MAX_PROOF_BYTES + 64 * KIB;
}
