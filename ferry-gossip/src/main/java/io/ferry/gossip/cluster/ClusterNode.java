package io.ferry.gossip.cluster;

import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.value.ContactInfo;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One node as the gossip table shows it: its contact info, the newest head it produced (if it
 * produces), and the snapshots it advertises. Immutable.
 *
 * @param id the node
 * @param contact where it is reached and what it runs
 * @param headHeight the height of the newest head it signed, if it is a producer
 * @param snapshots the snapshots it advertises, if any
 * @param wallclock the newest wallclock among its values: how fresh this row is
 */
public record ClusterNode(
    NodeId id,
    ContactInfo contact,
    OptionalLong headHeight,
    Optional<SnapshotHashes> snapshots,
    long wallclock) {}
