"""GPS tracks: file formats → cleaning → ingest (COPY into monthly partitions) → the store the rule
reads; who may upload and see them (`access`); the upload page and its URLs. See docs/design/tracks.md."""
