//! List resources (`terraform query`): the request a [`ListResource`] gets
//! and the sink its results stream into.
//!
//! ListResource is a server-streaming RPC. Terraform reads results until it
//! has `limit` of them, an error arrives, or the stream ends, and it hangs up
//! early when the user presses Ctrl-C. The sink turns all of that into one
//! answer for the implementation: [`ListSink::send`] returns false when no
//! more results are wanted, and the listing should stop there.
//!
//! [`ListResource`]: super::framework::ListResource

use tokio::sync::mpsc;

use super::diagnostics::Diagnostics;
use super::value::Value;

/// One `list` block's request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRequest {
    /// The `config { ... }` block, wholly known; every attribute null when
    /// the user wrote none.
    pub config: Value,
    /// Whether Terraform wants each result's full resource object
    /// (`include_resource = true`, or `-generate-config-out`). Building it
    /// may cost more AWS calls, so skip it when false.
    pub include_resource: bool,
    /// The most results Terraform will read (its default is 100).
    pub limit: i64,
}

impl ListRequest {
    /// The `config { ... }` block as a typed model; a `list` block without
    /// one reads as the model's default.
    pub fn config_as<T: serde::de::DeserializeOwned + Default>(&self) -> Result<T, Diagnostics> {
        let invalid = |e: String| Diagnostics::from_error("Invalid list configuration", e);
        let json = super::convert::to_json(&self.config).map_err(|e| invalid(e.to_string()))?;
        if json.is_null() {
            return Ok(T::default());
        }
        serde_json::from_value(json).map_err(|e| invalid(e.to_string()))
    }
}

/// One object found.
#[derive(Debug, Clone, PartialEq)]
pub struct ListResult {
    /// The object's identity, wholly known.
    pub identity: Value,
    /// What `terraform query` prints for the result.
    pub display_name: String,
    /// The state Read would return for the object, when
    /// [`ListRequest::include_resource`] asked for it. Its identity must be
    /// `identity`.
    pub resource: Option<Value>,
    /// Warnings about this result (an error ends the listing).
    pub diagnostics: Diagnostics,
}

impl ListResult {
    pub fn new(identity: Value, display_name: impl Into<String>) -> ListResult {
        ListResult {
            identity,
            display_name: display_name.into(),
            resource: None,
            diagnostics: Diagnostics::new(),
        }
    }

    pub fn with_resource(mut self, resource: Value) -> ListResult {
        self.resource = Some(resource);
        self
    }
}

/// What travels from the sink to the wire: results, and diagnostics that
/// belong to no result.
#[derive(Debug, Clone, PartialEq)]
pub enum ListItem {
    Result(ListResult),
    Diagnostics(Diagnostics),
}

enum Target {
    /// To the RPC's stream (the receiver side is the response).
    Channel(mpsc::Sender<ListItem>),
    /// Kept, for tests of list implementations.
    Collect(Vec<ListItem>),
}

/// Where a [`ListResource`](super::framework::ListResource) sends results.
pub struct ListSink {
    target: Target,
    limit: i64,
    sent: i64,
}

impl ListSink {
    /// A sink feeding `tx`; at most `limit` results pass.
    pub fn channel(tx: mpsc::Sender<ListItem>, limit: i64) -> ListSink {
        ListSink {
            target: Target::Channel(tx),
            limit,
            sent: 0,
        }
    }

    /// A sink that keeps what it is sent, for tests.
    pub fn collecting(limit: i64) -> ListSink {
        ListSink {
            target: Target::Collect(Vec::new()),
            limit,
            sent: 0,
        }
    }

    /// What a collecting sink was sent, in order.
    pub fn into_items(self) -> Vec<ListItem> {
        match self.target {
            Target::Collect(items) => items,
            Target::Channel(_) => Vec::new(),
        }
    }

    /// How many results went out.
    pub fn sent(&self) -> i64 {
        self.sent
    }

    /// True once no more results are wanted: the limit is reached or
    /// Terraform hung up.
    pub fn is_done(&self) -> bool {
        self.sent >= self.limit
            || match &self.target {
                Target::Channel(tx) => tx.is_closed(),
                Target::Collect(_) => false,
            }
    }

    /// Sends one result. Returns false when no more are wanted (this one
    /// may then have been dropped): stop listing.
    pub async fn send(&mut self, result: ListResult) -> bool {
        if self.is_done() {
            return false;
        }
        if !self.push(ListItem::Result(result)).await {
            return false;
        }
        self.sent += 1;
        !self.is_done()
    }

    /// Sends diagnostics that belong to no single result, such as a warning
    /// that some objects could not be read. Returns false as [`Self::send`].
    pub async fn diagnostics(&mut self, diags: Diagnostics) -> bool {
        if diags.0.is_empty() {
            return !self.is_done();
        }
        self.push(ListItem::Diagnostics(diags)).await && !self.is_done()
    }

    async fn push(&mut self, item: ListItem) -> bool {
        match &mut self.target {
            Target::Channel(tx) => tx.send(item).await.is_ok(),
            Target::Collect(items) => {
                items.push(item);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(n: usize) -> ListResult {
        ListResult::new(Value::string(n.to_string()), format!("r{n}"))
    }

    #[tokio::test]
    async fn the_limit_stops_the_listing() {
        let mut sink = ListSink::collecting(2);
        assert!(sink.send(result(1)).await);
        assert!(!sink.send(result(2)).await, "the second is the last wanted");
        assert!(!sink.send(result(3)).await);
        assert_eq!(sink.sent(), 2);
        let items = sink.into_items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], ListItem::Result(result(2)));
    }

    #[tokio::test]
    async fn a_zero_limit_wants_nothing() {
        let mut sink = ListSink::collecting(0);
        assert!(sink.is_done());
        assert!(!sink.send(result(1)).await);
        assert!(sink.into_items().is_empty());
    }

    #[tokio::test]
    async fn a_closed_channel_stops_the_listing() {
        let (tx, rx) = mpsc::channel(4);
        let mut sink = ListSink::channel(tx, 100);
        assert!(sink.send(result(1)).await);
        drop(rx);
        assert!(sink.is_done());
        assert!(!sink.send(result(2)).await);
        assert!(!sink.diagnostics(Diagnostics::from_error("x", "y")).await);
    }

    #[tokio::test]
    async fn diagnostics_travel_on_their_own() {
        let mut sink = ListSink::collecting(5);
        let mut w = Diagnostics::new();
        w.warning("Skipped", "one role could not be read");
        assert!(sink.diagnostics(w.clone()).await);
        assert!(sink.diagnostics(Diagnostics::new()).await);
        assert_eq!(sink.into_items(), vec![ListItem::Diagnostics(w)]);
    }
}
