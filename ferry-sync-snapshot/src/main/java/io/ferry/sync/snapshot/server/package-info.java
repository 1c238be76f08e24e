/** The serving side of snapshot state sync: listings and chunks, with bounded work per peer. */
package io.ferry.sync.snapshot.server;
