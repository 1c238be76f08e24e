package io.ferry.http;

/** A node's health as {@code /health} reports it; {@link #text()} is the response body. */
public enum Health {
  /** In sync. */
  OK("ok"),
  /** Running but behind the network. */
  BEHIND("behind"),
  /** Not known yet (starting, or the source failed). */
  UNKNOWN("unknown");

  private final String text;

  Health(String text) {
    this.text = text;
  }

  public String text() {
    return text;
  }
}
