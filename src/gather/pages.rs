//! Every page of a paginated call, as one list: the one place where SDK paginators are drained.

use super::errors::{classify, Failure};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Drains `pages`, turning each page into items with `items`; a failed page fails the call as `action`.
pub async fn all_pages<O, E, R, T, I>(
    mut pages: PaginationStream<Result<O, SdkError<E, R>>>,
    action: &str,
    items: impl Fn(&O) -> I,
) -> Result<Vec<T>, Failure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
    I: IntoIterator<Item = T>,
{
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, action))?;
        out.extend(items(&page));
    }
    Ok(out)
}
