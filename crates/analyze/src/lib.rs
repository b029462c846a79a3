//! captest analyze.
