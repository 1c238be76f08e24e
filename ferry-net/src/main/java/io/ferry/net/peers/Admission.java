package io.ferry.net.peers;

/**
 * Whether a new connection may open: allowed, or refused with a reason for the log line.
 *
 * @param allowed true if the connection may open
 * @param reason why not, empty when allowed
 */
public record Admission(boolean allowed, String reason) {
  public static final Admission ALLOW = new Admission(true, "");

  public static Admission refuse(String reason) {
    return new Admission(false, reason);
  }
}
