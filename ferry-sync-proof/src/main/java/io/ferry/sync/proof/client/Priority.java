package io.ferry.sync.proof.client;

/**
 * Order in which queued work is fetched: retries first (a range that failed should not starve),
 * then high, medium, low. New ranges are medium; change-proof work after a target update is high,
 * since it brings already-synced ranges up to date.
 */
public enum Priority {
  LOW,
  MEDIUM,
  HIGH,
  RETRY
}
