package io.ferry.gossip.value;

import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Judges a value before it is stored or relayed: its age (neither expired nor from the future), its
 * kind's {@link PayloadRule}, and last, being the costliest, its signature. A kind without a rule
 * here is refused, so a node stores only what it can judge.
 *
 * <p>Immutable once built; thread-safe.
 */
public final class ValueRules {

  /** Why a value is refused, and what it costs the peer that sent it. */
  public enum Reason {
    /** Its signature does not verify in this network: forged, or from another network. */
    BAD_SIGNATURE(Offence.INVALID_PROOF),
    /** Its payload breaks its kind's rules. */
    BROKEN_RULE(Offence.MALFORMED_MESSAGE),
    /** Its wallclock is further ahead of ours than the allowed drift: a node must not pin it. */
    FROM_FUTURE(Offence.PROTOCOL_VIOLATION),
    /** Older than the time values live: may be in flight honestly, so it costs nothing. */
    EXPIRED(null),
    /** A kind this node has no rule for (a newer peer's): not stored, costs nothing. */
    UNKNOWN_KIND(null);

    private final Offence offence;

    Reason(Offence offence) {
      this.offence = offence;
    }

    /** What the sender is reported for, or empty when an honest peer may send it. */
    public Optional<Offence> offence() {
      return Optional.ofNullable(offence);
    }
  }

  /** A refusal: the reason and words for the log. */
  public record Refusal(Reason reason, String detail) {}

  private final String network;
  private final long ttlMillis;
  private final long driftMillis;
  private final Map<ValueKind, PayloadRule> rules;
  private final SignatureCheck signatures;

  /**
   * @param network values verify only with this network's name
   * @param ttl how long after its wallclock a value lives
   * @param maxDrift how far ahead of ours a wallclock may be
   */
  public ValueRules(String network, Duration ttl, Duration maxDrift) {
    this(
        network,
        ttl.toMillis(),
        maxDrift.toMillis(),
        new EnumMap<>(ValueKind.class),
        SignatureCheck.ED25519);
    rules.put(ValueKind.CONTACT_INFO, this::contactInfoRule);
    rules.put(ValueKind.SNAPSHOT_HASHES, v -> refusal(SnapshotHashesCodec.decode(v.payload())));
  }

  private ValueRules(
      String network,
      long ttlMillis,
      long driftMillis,
      Map<ValueKind, PayloadRule> rules,
      SignatureCheck signatures) {
    this.network = network;
    this.ttlMillis = ttlMillis;
    this.driftMillis = driftMillis;
    this.rules = rules;
    this.signatures = signatures;
  }

  /** These rules with {@code rule} for {@code kind}, replacing any it had. */
  public ValueRules with(ValueKind kind, PayloadRule rule) {
    Map<ValueKind, PayloadRule> copy = new EnumMap<>(rules);
    copy.put(kind, rule);
    return new ValueRules(network, ttlMillis, driftMillis, copy, signatures);
  }

  /**
   * These rules checking signatures with {@code check} instead of {@link SignatureCheck#ED25519}.
   */
  public ValueRules withSignatureCheck(SignatureCheck check) {
    return new ValueRules(network, ttlMillis, driftMillis, rules, check);
  }

  public String network() {
    return network;
  }

  public long ttlMillis() {
    return ttlMillis;
  }

  /** Whether {@code value} has lived out its time at {@code nowMillis}. */
  public boolean expired(SignedValue value, long nowMillis) {
    return value.wallclock() + ttlMillis < nowMillis;
  }

  /** Why {@code value} is refused at {@code nowMillis}, or empty to take it. */
  public Optional<Refusal> judge(SignedValue value, long nowMillis) {
    if (value.wallclock() > nowMillis + driftMillis) {
      return refuse(
          Reason.FROM_FUTURE, "wallclock " + (value.wallclock() - nowMillis) + " ms ahead");
    }
    if (expired(value, nowMillis)) {
      return refuse(Reason.EXPIRED, "expired " + (nowMillis - value.wallclock()) + " ms ago");
    }
    PayloadRule rule = rules.get(value.kind());
    if (rule == null) {
      return refuse(Reason.UNKNOWN_KIND, value.kind() + " values are not kept here");
    }
    Optional<String> broken = rule.broken(value);
    if (broken.isPresent()) {
      return refuse(Reason.BROKEN_RULE, broken.get());
    }
    if (!signatures.verifies(value, network)) {
      return refuse(Reason.BAD_SIGNATURE, "signature does not verify in network " + network);
    }
    return Optional.empty();
  }

  private Optional<String> contactInfoRule(SignedValue v) {
    return switch (ContactInfo.decode(v.payload())) {
      case Result.Refused<ContactInfo> r -> Optional.of(r.reason());
      case Result.Ok<ContactInfo> ok ->
          ok.value().network().equals(network)
              ? Optional.empty()
              : Optional.of("a contact info of network " + ok.value().network());
    };
  }

  private static Optional<String> refusal(Result<?> result) {
    return switch (result) {
      case Result.Refused<?> r -> Optional.of(r.reason());
      case Result.Ok<?> ok -> Optional.empty();
    };
  }

  private static Optional<Refusal> refuse(Reason reason, String detail) {
    return Optional.of(new Refusal(reason, detail));
  }
}
