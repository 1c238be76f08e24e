package io.ferry.sim;

import io.ferry.wire.v1.Envelope;

/**
 * What travels on a simulated wire: a frame of an open connection, or one of the handshake and
 * teardown packets a real transport's TCP and TLS layers would exchange.
 */
sealed interface Packet {

  /** Bytes a TLS handshake flight takes on the wire, for the bandwidth model. */
  int HANDSHAKE_BYTES = 1024;

  /** A short label for the trace. */
  String label();

  /** An envelope sent on {@code from}; arrives at {@code from}'s peer end. */
  record Frame(SimLink from, Envelope envelope, int size) implements Packet {
    @Override
    public String label() {
      return "";
    }
  }

  /** A connection request from {@code dial}'s transport. */
  record Syn(Dial dial) implements Packet {
    @Override
    public String label() {
      return "syn";
    }
  }

  /** The listener took the connection: {@code accepted} is its end. */
  record SynAck(Dial dial, SimLink accepted) implements Packet {
    @Override
    public String label() {
      return "syn-ack";
    }
  }

  /** The listener refused the connection. */
  record Refuse(Dial dial, String reason) implements Packet {
    @Override
    public String label() {
      return "refuse: " + reason;
    }
  }

  /** The receiver of a frame no longer knows its connection: {@code to} must close. */
  record Reset(SimLink to) implements Packet {
    @Override
    public String label() {
      return "reset";
    }
  }
}
