//! One connection to one origin, opened on first use and replaced when the server closed it.
//! A request is sent at most once: a connection found closed is replaced *before* sending, and a
//! request that failed on the wire is a counted failure, never sent again.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::h2::H2;
use super::settings::HttpClient;
use super::stream::{self, Dial, Stream};
use super::wire::{RequestHead, Wire, WireResponse};
use crate::metrics::FailureKind;

#[derive(Debug)]
enum Transport {
    Http1(Wire),
    Http2(H2),
}

/// A keep-alive connection (HTTP/1.1 or HTTP/2), not open until first used.
#[derive(Debug, Default)]
pub struct Connection {
    transport: Option<Transport>,
}

impl Connection {
    /// A connection that is not open yet.
    pub fn new() -> Self {
        Connection::default()
    }

    async fn open(client: &HttpClient, dial: Dial<'_>) -> Result<Transport, FailureKind> {
        let stream = stream::connect(dial).await?;
        let tls = matches!(stream, Stream::Tls(_));
        if tls {
            client.counts.tls.fetch_add(1, Ordering::Relaxed);
        }
        let h2 = client.http2 && (stream.negotiated_h2() || (!tls && dial.proxy.is_none()));
        if h2 {
            let connection = H2::handshake(stream, client.max_body).await?;
            client.counts.http2.fetch_add(1, Ordering::Relaxed);
            Ok(Transport::Http2(connection))
        } else {
            client.counts.http1.fetch_add(1, Ordering::Relaxed);
            Ok(Transport::Http1(
                Wire::new(stream).keeping_at_most(client.max_body),
            ))
        }
    }

    /// Sends one request and reads the whole response. `keep_body` keeps the body; `decode`
    /// keeps it too when it is content-encoded (to decode it).
    pub(super) async fn exchange(
        &mut self,
        client: &HttpClient,
        dial: Dial<'_>,
        head: RequestHead<'_>,
        body: &[u8],
        keep_body: bool,
        decode: bool,
    ) -> Result<WireResponse, FailureKind> {
        let dead = match &mut self.transport {
            Some(Transport::Http1(wire)) => wire.dropped(),
            Some(Transport::Http2(h2)) => !h2.is_open(),
            None => false,
        };
        if dead || !client.keepalive {
            self.transport = None;
        }
        let transport = match &mut self.transport {
            Some(transport) => transport,
            None => self.transport.insert(Self::open(client, dial).await?),
        };
        let outcome = match transport {
            Transport::Http1(wire) => match wire.send(head, body).await {
                Ok(()) => wire
                    .receive(head.method, keep_body, decode)
                    .await
                    .map_err(|e| e.failure()),
                Err(error) => Err(error.failure()),
            },
            Transport::Http2(h2) => {
                let authority = dial.origin.to_string();
                h2.exchange(
                    &authority,
                    head,
                    Bytes::copy_from_slice(body),
                    keep_body,
                    decode,
                )
                .await
            }
        };
        match &outcome {
            Ok(response) if response.keep_alive && client.keepalive => {}
            _ => self.transport = None,
        }
        outcome
    }
}
