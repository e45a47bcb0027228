"""Open311 GeoReport v2 (services, requests) and the import of 311-style CSV exports."""
