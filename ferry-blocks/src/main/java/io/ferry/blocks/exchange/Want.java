package io.ferry.blocks.exchange;

/**
 * One want-list entry: bitswap's {@code {address, priority, cancel, want-have | want-block,
 * send-dont-have}}.
 *
 * @param have a want-have (answer presence) rather than a want-block (answer the block)
 */
public record Want(
    Address address, int priority, boolean cancel, boolean have, boolean sendDontHave) {

  public static Want block(Address a, int priority) {
    return new Want(a, priority, false, false, true);
  }

  public static Want have(Address a) {
    return new Want(a, 0, false, true, true);
  }

  public static Want cancel(Address a) {
    return new Want(a, 0, true, false, false);
  }

  io.ferry.wire.v1.WantEntry toProto() {
    return io.ferry.wire.v1.WantEntry.newBuilder()
        .setAddress(address.toProto())
        .setPriority(priority)
        .setCancel(cancel)
        .setWantType(
            have
                ? io.ferry.wire.v1.WantType.WANT_TYPE_HAVE
                : io.ferry.wire.v1.WantType.WANT_TYPE_BLOCK)
        .setSendDontHave(sendDontHave)
        .build();
  }
}
