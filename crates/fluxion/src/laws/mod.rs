//! Closed-form laws (integration pending).
