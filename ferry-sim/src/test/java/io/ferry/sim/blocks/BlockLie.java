package io.ferry.sim.blocks;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.net.ProtocolId;
import io.ferry.wire.v1.BlockDelivery;
import io.ferry.wire.v1.BlockExchangeMessage;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Kind;

/**
 * A lying provider's rewrite of what it sends on {@link ProtocolId#BLOCK_EXCHANGE}: every block it
 * delivers gets one byte flipped, with its address and proof unchanged, so the message decodes and
 * only a receiver that hashes the block and checks its proof sees the lie. Wants and presences pass
 * unchanged (the liar claims what it holds). Stateless.
 */
final class BlockLie {
  private BlockLie() {}

  /** {@code env} with its blocks falsified, or {@code env} itself when it carries none. */
  static Envelope falsify(Envelope env) {
    if (env.getProtocolValue() != ProtocolId.BLOCK_EXCHANGE.value()
        || env.getKind() != Kind.KIND_MESSAGE) {
      return env;
    }
    BlockExchangeMessage m;
    try {
      m = BlockExchangeMessage.parseFrom(env.getPayload());
    } catch (InvalidProtocolBufferException e) {
      return env;
    }
    if (m.getBlocksCount() == 0) {
      return env;
    }
    BlockExchangeMessage.Builder b = m.toBuilder();
    for (int i = 0; i < m.getBlocksCount(); i++) {
      BlockDelivery d = m.getBlocks(i);
      byte[] data = d.getData().toByteArray();
      if (data.length == 0) {
        continue;
      }
      data[data.length / 2] ^= 0x5a;
      b.setBlocks(i, d.toBuilder().setData(ByteString.copyFrom(data)));
    }
    return env.toBuilder().setPayload(b.build().toByteString()).build();
  }

  /** Whether {@code env} carries blocks (and so, from a liar, lies). */
  static boolean carriesBlocks(Envelope env) {
    if (env.getProtocolValue() != ProtocolId.BLOCK_EXCHANGE.value()) {
      return false;
    }
    try {
      return BlockExchangeMessage.parseFrom(env.getPayload()).getBlocksCount() > 0;
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
  }
}
