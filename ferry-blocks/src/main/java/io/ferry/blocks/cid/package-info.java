/**
 * Content identifiers as the multiformats specify them: CIDv1 (version, multicodec, multihash), the
 * SHA-256 multihash, unsigned varints, and the multibase text forms, each parsed strictly (one
 * encoding of each value is accepted, so a CID's text and bytes name it exactly once).
 */
package io.ferry.blocks.cid;
