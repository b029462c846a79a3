//! captest report.
