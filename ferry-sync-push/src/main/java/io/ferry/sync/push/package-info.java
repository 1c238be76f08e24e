/**
 * Push sync (Aranya's move from polling to pushing, on {@code PROTOCOL_PUSH_SYNC}): a subscriber
 * asks a peer to push ({@link io.ferry.sync.push.PushClient}); the peer keeps at most 128
 * subscriptions, each with a window and a byte budget ({@link io.ferry.sync.push.Subscriptions}),
 * and after each commit sends every subscriber the commits after its known heads ({@link
 * io.ferry.sync.push.PushServer}). A commit is its height, parent root, batch and the producer's
 * signed head; the subscriber re-applies the batch and keeps it only if the root it computes is the
 * signed one ({@link io.ferry.sync.push.CommitReplay}). Anything else (a gap, a spent budget, a
 * closed window, a wrong root) falls back to polling with change proofs. See docs/push.md.
 */
package io.ferry.sync.push;
