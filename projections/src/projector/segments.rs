//! Splitting a batch into runs of registrations (folded set-based) and
//! single other events.

use promo_eventstore::store::StoredEvent;

/// One step of a set-based `apply_batch`: a run of consecutive
/// registrations to fold together, or any other single event to apply in
/// order (after the run before it was flushed).
pub enum Segment<'a> {
    Registrations(&'a [StoredEvent]),
    Other(&'a StoredEvent),
}

/// Splits a batch, in order, into [`Segment`]s: "fold a run of
/// registrations, flush on anything else", the shape every read model whose
/// registration updates commute shares.
pub fn segments(events: &[StoredEvent]) -> impl Iterator<Item = Segment<'_>> {
    events
        .chunk_by(|a, b| a.is_registration() && b.is_registration())
        .map(|chunk| match chunk {
            [single] if !single.is_registration() => Segment::Other(single),
            run => Segment::Registrations(run),
        })
}
