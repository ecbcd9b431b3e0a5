//! A connection as the server sees it: when it last moved a byte, and
//! whether one of its requests is being handled, so the idle watchdog closes
//! only connections that are truly idle.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// When a connection last moved a byte, in milliseconds since it opened,
/// and how many of its requests are being handled.
#[derive(Clone)]
pub(super) struct Activity {
    opened: Instant,
    last_ms: Arc<AtomicU64>,
    pub(super) busy: Arc<AtomicU64>,
}

/// Marks a connection busy while one of its requests is handled.
pub(super) struct Busy(Arc<AtomicU64>);

impl Busy {
    pub(super) fn enter(busy: &Arc<AtomicU64>) -> Busy {
        busy.fetch_add(1, Ordering::Relaxed);
        Busy(busy.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Activity {
    fn touch(&self) {
        let now = self.opened.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Completes once no byte has moved for `idle` while no request was
    /// being handled.
    pub(super) async fn idle_for(&self, idle: Duration) {
        loop {
            if self.busy.load(Ordering::Relaxed) > 0 {
                self.touch();
            }
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let due = last + idle;
            if Instant::now() >= due {
                return;
            }
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

/// A TCP stream that records when it last read or wrote.
pub(super) struct Tracked {
    stream: TcpStream,
    pub(super) activity: Activity,
}

impl Tracked {
    pub(super) fn new(stream: TcpStream) -> Tracked {
        Tracked {
            stream,
            activity: Activity {
                opened: Instant::now(),
                last_ms: Arc::new(AtomicU64::new(0)),
                busy: Arc::new(AtomicU64::new(0)),
            },
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
