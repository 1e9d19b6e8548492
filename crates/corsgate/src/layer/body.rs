//! The response body of the layer: the inner service's body, or one the layer wrote itself
//! (preflight answers, rejections, the 500 that replaces a panic).

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// Either the wrapped service's body or a small body produced by the layer.
    #[project = CorsBodyProj]
    pub enum CorsBody<B> {
        Inner { #[pin] body: B },
        Full { data: Option<Bytes> },
    }
}

impl<B> CorsBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        CorsBody::Inner { body }
    }

    pub(crate) fn empty() -> Self {
        CorsBody::Full { data: None }
    }

    pub(crate) fn full(data: impl Into<Bytes>) -> Self {
        let data: Bytes = data.into();
        CorsBody::Full {
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl<B: Body<Data = Bytes>> Body for CorsBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project() {
            CorsBodyProj::Inner { body } => body.poll_frame(cx),
            CorsBodyProj::Full { data } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            CorsBody::Inner { body } => body.is_end_stream(),
            CorsBody::Full { data } => data.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            CorsBody::Inner { body } => body.size_hint(),
            CorsBody::Full { data } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
        }
    }
}
