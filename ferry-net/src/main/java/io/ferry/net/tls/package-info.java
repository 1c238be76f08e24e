/**
 * TLS 1.3 bound to node identities, following the libp2p TLS handshake spec: each node presents a
 * self-signed certificate for a throwaway ECDSA key, whose extension 1.3.6.1.4.1.53594.1.1 holds
 * the node's Ed25519 key and its signature over the certificate key. Peers check that binding
 * during the handshake ({@link io.ferry.net.tls.PeerTrustManager}) and read the proven {@link
 * io.ferry.core.identity.NodeId} from the session afterwards ({@link
 * io.ferry.net.tls.PeerIdentity}).
 */
package io.ferry.net.tls;
