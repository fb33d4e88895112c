//! Outbound HTTP clients (webhook deliveries, the filing monitor's homepage fetch, the
//! benchmark's load generator). Every client comes from [`client_builder`], which makes ring
//! the process's rustls crypto provider first: reqwest is built without a provider of its own
//! so that aws-lc is not compiled beside ring.

use std::sync::Once;

/// A client builder whose TLS uses the platform's one crypto provider (ring).
pub fn client_builder() -> reqwest::ClientBuilder {
    static PROVIDER: Once = Once::new();
    PROVIDER.call_once(|| {
        // Err means a provider is already installed (by the embedding program): keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_build_with_ring_as_the_provider() {
        for _ in 0..2 {
            super::client_builder().build().expect("a client");
        }
        let provider = rustls::crypto::CryptoProvider::get_default().expect("installed");
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(
            provider.cipher_suites.len(),
            ring.cipher_suites.len(),
            "ring's suites"
        );
    }
}
