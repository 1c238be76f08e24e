/**
 * The peer transport: authenticated, encrypted links between nodes identified by their Ed25519
 * {@link io.ferry.core.identity.NodeId}, carrying only framed protobuf envelopes.
 */
package io.ferry.net;
