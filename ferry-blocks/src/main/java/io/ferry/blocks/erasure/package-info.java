/**
 * Erasure coding of protected datasets, as Codex does it: Reed–Solomon over GF(2⁸) with {@code K}
 * data and {@code M} parity blocks per group ({@link io.ferry.blocks.erasure.ReedSolomon}, the
 * systematic Vandermonde code of Backblaze JavaReedSolomon and klauspost/reedsolomon, so their
 * published outputs are this code's test vectors), laid out in {@link
 * io.ferry.blocks.dataset.Protection}'s interleaved groups ({@link
 * io.ferry.blocks.erasure.DatasetCoder}: parity for a whole dataset one group at a time, and the
 * repair of a group that lost at most {@code M} blocks).
 *
 * <p>No Reed–Solomon library for the JVM on Maven Central fits: Backblaze's is not published there,
 * and Hadoop's coder comes inside hadoop-common with its dependency tree and another matrix. The
 * code here is small: field tables, a Gauss–Jordan inverse, and one coding loop.
 */
package io.ferry.blocks.erasure;
