package io.ferry.blocks.discovery;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.exchange.Providers;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.PayloadRule;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.net.PeerAddress;
import io.ferry.net.Transport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Provider records on the gossip plane: a node announces each dataset it holds, or is fetching, as
 * a signed {@link ValueKind#PROVIDER} value indexed by the manifest's CID ({@code ProviderRecord}:
 * the manifest, its tree, whether complete). The plane signs it again each refresh interval while
 * announced; once {@link #withdraw withdrawn} it expires a time-to-live later at every peer. A
 * downloader looks providers up here and dials them by the contact info they gossip.
 *
 * <p>Every node holds every record, so this serves up to the plane's value bound ({@code
 * Limits.MAX_GOSSIP_VALUES}: datasets × providers) — see docs/blocks.md for what replaces it
 * beyond.
 *
 * <p>Thread-safe.
 */
public final class ProviderRecords implements Providers {
  private final GossipPlane plane;
  private final Transport transport;

  public ProviderRecords(GossipPlane plane, Transport transport) {
    this.plane = plane;
    this.transport = transport;
  }

  /** A decoded record. */
  public record Record(Cid manifest, Cid tree, boolean complete) {
    public Bytes encode() {
      return Bytes.wrap(
          io.ferry.wire.v1.ProviderRecord.newBuilder()
              .setManifestCid(ByteString.copyFrom(manifest.toBytes()))
              .setTreeCid(ByteString.copyFrom(tree.toBytes()))
              .setComplete(complete)
              .build()
              .toByteArray());
    }

    /** The record {@code payload} holds, or why it is not one. */
    public static Result<Record> decode(Bytes payload) {
      try {
        io.ferry.wire.v1.ProviderRecord p =
            io.ferry.wire.v1.ProviderRecord.parseFrom(payload.unsafeArray());
        Cid manifest = Cid.fromBytes(p.getManifestCid().toByteArray());
        Cid tree = Cid.fromBytes(p.getTreeCid().toByteArray());
        if (manifest.codec() != Multicodec.FERRY_MANIFEST
            || tree.codec() != Multicodec.FERRY_TREE) {
          return Result.refused(
              "a provider record naming a " + manifest.codec() + " and a " + tree.codec());
        }
        return Result.ok(new Record(manifest, tree, p.getComplete()));
      } catch (InvalidProtocolBufferException | FerryException e) {
        return Result.refused("a provider record that does not decode");
      }
    }
  }

  /**
   * The rule the plane judges provider records by: they decode, and are indexed by their manifest.
   */
  public static PayloadRule rule() {
    return v ->
        switch (Record.decode(v.payload())) {
          case Result.Refused<Record> r -> Optional.of(r.reason());
          case Result.Ok<Record> ok ->
              Arrays.equals(ok.value().manifest().toBytes(), v.index().unsafeArray())
                  ? Optional.empty()
                  : Optional.of("a provider record indexed by another CID");
        };
  }

  @Override
  public void announce(Cid manifest, Cid tree, boolean complete) {
    plane.publish(
        ValueKind.PROVIDER,
        Bytes.wrap(manifest.toBytes()),
        new Record(manifest, tree, complete).encode());
  }

  /** Stops announcing {@code manifest}; the record expires at peers a time-to-live later. */
  public void withdraw(Cid manifest) {
    plane.withdraw(ValueKind.PROVIDER, Bytes.wrap(manifest.toBytes()));
  }

  @Override
  public List<NodeId> lookup(Cid manifest) {
    byte[] index = manifest.toBytes();
    List<NodeId> complete = new ArrayList<>();
    List<NodeId> partial = new ArrayList<>();
    for (SignedValue v : plane.values(ValueKind.PROVIDER)) {
      if (!Arrays.equals(v.index().unsafeArray(), index) || v.origin().equals(plane.localId())) {
        continue;
      }
      if (Record.decode(v.payload()) instanceof Result.Ok<Record> ok) {
        (ok.value().complete() ? complete : partial).add(v.origin());
      }
    }
    complete.addAll(partial);
    return complete;
  }

  /** Records held now, for status: every origin's, this node's included. */
  public List<SignedValue> records() {
    return plane.values(ValueKind.PROVIDER);
  }

  @Override
  public CompletableFuture<NodeId> dial(NodeId peer) {
    if (transport.isConnected(peer)) {
      return CompletableFuture.completedFuture(peer);
    }
    Optional<SignedValue> contact = plane.get(peer, ValueKind.CONTACT_INFO);
    if (contact.isEmpty()
        || !(ContactInfo.decode(contact.get().payload()) instanceof Result.Ok<ContactInfo> ok)) {
      return CompletableFuture.failedFuture(
          new FerryException(ErrorCode.UNAVAILABLE, "no contact info of " + peer));
    }
    try {
      return transport.connect(PeerAddress.parse(ok.value().p2p()).withId(peer));
    } catch (FerryException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
