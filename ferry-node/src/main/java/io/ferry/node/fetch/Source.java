package io.ferry.node.fetch;

import java.net.URI;

/**
 * One server that holds the file: its final URL (after redirects) and what it said about the file.
 *
 * @param requested the URL as given
 * @param uri the file's URL after redirects
 * @param size the file's length
 * @param etag the server's entity tag, or null
 * @param ranges whether it accepts byte ranges
 */
record Source(URI requested, URI uri, long size, String etag, boolean ranges) {
  String host() {
    return uri.getHost() + ":" + uri.getPort();
  }
}
