package io.ferry.arch;

import java.util.Objects;

/**
 * One place that may break a rule, and why: a class ({@code io.ferry.x.Foo}, covering its nested
 * classes) or one member of it ({@code io.ferry.x.Foo#bar}: a method, with the lambdas in its body,
 * or a field; {@code <init>} for constructors). Every entry must still match an offence, so a place
 * that stops needing its exemption fails the build until the entry is removed.
 */
record Exemption(String place, String reason) {
  Exemption {
    Objects.requireNonNull(place);
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("an exemption needs a reason: " + place);
    }
  }

  static Exemption of(String place, String reason) {
    return new Exemption(place, reason);
  }

  /** The class part of {@link #place()}. */
  String className() {
    int hash = place.indexOf('#');
    return hash < 0 ? place : place.substring(0, hash);
  }

  boolean covers(Offence offence) {
    int hash = place.indexOf('#');
    if (hash < 0) {
      String owner = offence.owner().getName();
      return owner.equals(place) || owner.startsWith(place + "$");
    }
    return offence.owner().getName().equals(place.substring(0, hash))
        && offence.member().equals(place.substring(hash + 1));
  }

  @Override
  public String toString() {
    return place + " (" + reason + ")";
  }
}
