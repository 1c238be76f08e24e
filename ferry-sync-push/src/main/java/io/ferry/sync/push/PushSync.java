package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import java.util.Optional;

/**
 * Push sync on a transport: decodes every {@link ProtocolId#PUSH_SYNC} frame and routes it by its
 * sync type (the design's {@code run_syncer}): a subscribe (a request) and an unsubscribe to the
 * {@link PushServer}, a push to the {@link PushClient} when this node subscribes, and a poll (a
 * request) to the proof server, which answers it as it answers the same request on its own
 * protocol. A frame that does not decode, or a type sent the wrong way (a subscribe as a one-way
 * message, a push as a request), costs its sender score.
 *
 * <p>Thread-safe.
 */
public final class PushSync implements ProtocolHandler, PeerListener, AutoCloseable {
  private final Transport transport;
  private final PushServer server;
  private final Optional<ProtocolHandler> poll;
  private volatile PushClient client;

  /**
   * Registers on {@code transport}.
   *
   * @param poll answers polls: the proof server's handler; empty to refuse them
   */
  public PushSync(Transport transport, PushServer server, Optional<ProtocolHandler> poll) {
    this.transport = transport;
    this.server = server;
    this.poll = poll;
    transport.register(ProtocolId.PUSH_SYNC, this);
    transport.addListener(this);
  }

  /** Routes pushes and connection events to {@code c} from now on, and starts it. */
  public void attach(PushClient c) {
    this.client = c;
    c.start();
  }

  public PushServer server() {
    return server;
  }

  public Optional<PushClient> client() {
    return Optional.ofNullable(client);
  }

  @Override
  public void onMessage(NodeId from, ByteString payload) {
    Messages.Message m = decode(from, payload);
    switch (m) {
      case null -> {}
      case Messages.UnsubscribeMsg u -> server.onUnsubscribe(from);
      case Messages.PushMsg p -> {
        PushClient c = client;
        if (c != null) {
          c.onPush(from, p);
        } else {
          transport
              .peerManager()
              .report(from, Offence.UNREQUESTED_DATA, "push sync: a push, but no subscription");
        }
      }
      case Messages.SubscribeMsg s -> violation(from, "a subscribe is a request");
      case Messages.PollMsg p -> violation(from, "a poll is a request");
    }
  }

  @Override
  public void onRequest(NodeId from, ByteString payload, Responder responder) {
    Messages.Message m;
    try {
      m = Messages.decode(payload);
    } catch (FerryException e) {
      transport
          .peerManager()
          .report(from, Offence.MALFORMED_MESSAGE, "push sync: " + e.getMessage());
      responder.fail(e.code(), e.getMessage());
      return;
    }
    switch (m) {
      case Messages.SubscribeMsg s -> responder.respond(server.onSubscribe(from, s));
      case Messages.PollMsg p -> {
        if (poll.isPresent()) {
          poll.get().onRequest(from, p.request(), responder);
        } else {
          responder.fail(ErrorCode.UNSUPPORTED, "this node answers no polls");
        }
      }
      case Messages.UnsubscribeMsg u -> {
        server.onUnsubscribe(from);
        responder.respond(ByteString.EMPTY);
      }
      case Messages.PushMsg p -> {
        violation(from, "a push is a one-way message");
        responder.fail(ErrorCode.INVALID_ARGUMENT, "a push is a one-way message");
      }
    }
  }

  private Messages.Message decode(NodeId from, ByteString payload) {
    try {
      return Messages.decode(payload);
    } catch (FerryException e) {
      transport
          .peerManager()
          .report(from, Offence.MALFORMED_MESSAGE, "push sync: " + e.getMessage());
      return null;
    }
  }

  private void violation(NodeId from, String what) {
    transport.peerManager().report(from, Offence.PROTOCOL_VIOLATION, "push sync: " + what);
  }

  @Override
  public void onConnected(NodeId peer, boolean outbound) {
    PushClient c = client;
    if (c != null) {
      c.onConnected(peer);
    }
  }

  @Override
  public void onDisconnected(NodeId peer, String reason) {
    server.forget(peer);
    PushClient c = client;
    if (c != null) {
      c.onDisconnected(peer);
    }
  }

  @Override
  public void close() {
    PushClient c = client;
    if (c != null) {
      c.close();
    }
    transport.removeListener(this);
  }
}
